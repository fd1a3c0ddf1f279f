"""Azurite, the Azure Storage emulator, for the lake tests: started on a free port and
stopped by pytest fixtures.

Azurite is the npm package pinned in package.json (``make test-deps`` installs it). It
runs in memory (``--inMemoryPersistence``) and accepts the SDK's newer service versions
(``--skipApiVersionCheck``): the loader's client is not pinned to Azurite's version.
The account and key are Azurite's public, documented development account.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
AZURITE_BIN = REPO / "node_modules" / ".bin" / "azurite-blob"

ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public; accepted by the emulator only).
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class Azurite:
    """One Azurite blob service on 127.0.0.1, in memory."""

    def __init__(self) -> None:
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._workdir = tempfile.TemporaryDirectory(prefix="c360-azurite-")
        self._log = Path(self._workdir.name) / "azurite.log"

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.blob_endpoint};"
        )

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> Azurite:
        """Start on a free port and wait until it answers; fail the test with a clear
        message when Azurite is not installed or does not come up."""
        if not AZURITE_BIN.exists():
            pytest.fail(
                f"Azurite is not installed ({AZURITE_BIN.relative_to(REPO)} is "
                "missing): run `make test-deps` (npm ci) first",
                pytrace=False,
            )
        for _attempt in range(3):  # another process may take the free port first
            self.port = free_port()
            with open(self._log, "wb") as log:
                self.proc = subprocess.Popen(
                    [
                        str(AZURITE_BIN),
                        "--blobHost",
                        "127.0.0.1",
                        "--blobPort",
                        str(self.port),
                        "--inMemoryPersistence",
                        "--skipApiVersionCheck",
                        "--loose",
                        "--silent",
                        "--disableTelemetry",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self._workdir.name,
                )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.running:
                if port_answers(self.port):
                    return self
                time.sleep(0.05)
            self.stop()
        output = self._log.read_text(errors="replace")[-2000:]
        pytest.fail(f"Azurite did not start on 127.0.0.1 ({AZURITE_BIN}):\n{output}", pytrace=False)

    def stop(self) -> None:
        """Stop it (its in-memory data is gone) and wait until the port is closed."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        deadline = time.monotonic() + 5
        while port_answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    """An Azurite shared by the session's tests (each test uses its own container)."""
    a = Azurite().start()
    try:
        yield a
    finally:
        a.close()


@pytest.fixture
def azurite_own() -> Iterator[Azurite]:
    """An Azurite of this test alone, which the test may stop (outages)."""
    a = Azurite().start()
    try:
        yield a
    finally:
        a.close()


def azure_env(azurite: Azurite) -> dict[str, str]:
    """The environment of a loader run against ``azurite``, connection string only."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AZURE_") and not k.startswith("C360_")
    }
    env["AZURE_STORAGE_CONNECTION_STRING"] = azurite.connection_string
    return env
