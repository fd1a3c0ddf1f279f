"""Where bronze files land: the lake, a local folder or Azure Blob Storage / ADLS Gen2.

One interface, :class:`Lake`, with two implementations; nothing else in the loader
branches on where the lake is. The layout keeps history and is the same on both::

    <table>/<load_id>/<File>.csv        the file, byte for byte as in the source
    <table>/<load_id>/_manifest.json    {"file", "sha256", "md5", "bytes", "landed_at"}

The manifest is written last: a load folder without one is an interrupted landing
and is ignored. A file whose sha256 equals one already landed for the same table is
not landed again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from loader.errors import LoaderError

MANIFEST = "_manifest.json"
CHUNK = 8 * 1024 * 1024

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


@dataclass(frozen=True)
class FileDigest:
    """What identifies a file's content."""

    sha256: str
    md5: str  # base64, as Azure's Content-MD5 carries it
    bytes: int


@dataclass(frozen=True)
class LandedFile:
    """One file in the lake."""

    table: str
    load_id: str
    file: str  # file name, e.g. Customers.csv
    sha256: str
    md5: str
    bytes: int
    landed_at: str  # ISO 8601, UTC

    @property
    def path(self) -> str:
        """The file's path inside the lake."""
        return f"{self.table}/{self.load_id}/{self.file}"

    @property
    def key(self) -> tuple[str, str, str]:
        """(table, load id, file): what identifies a loaded file, as ``raw._loads``'s
        (table_name, load_id, source_file) does."""
        return (self.table, self.load_id, self.file)

    def manifest(self) -> bytes:
        d = asdict(self)
        for k in ("table", "load_id"):
            d.pop(k)
        return json.dumps(d, indent=2).encode()

    @classmethod
    def from_manifest(cls, table: str, load_id: str, data: bytes) -> LandedFile:
        return cls(table=table, load_id=load_id, **json.loads(data))


def digest(path: Path) -> FileDigest:
    """sha256 and MD5 of a file, read once in chunks."""
    sha, md5, n = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            n += len(chunk)
    return FileDigest(sha.hexdigest(), base64.b64encode(md5.digest()).decode(), n)


def new_load_id(now: datetime | None = None) -> str:
    """A load identifier that sorts in load order: the UTC time, to the microsecond."""
    return (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")


class Lake(Protocol):
    """The bronze layer."""

    url: str

    def landed(self, table: str) -> list[LandedFile]:
        """Every completely landed file of ``table``, oldest load first."""
        ...

    def land(
        self,
        table: str,
        load_id: str,
        source: Path,
        dig: FileDigest,
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> LandedFile:
        """Copy ``source`` byte for byte to ``<table>/<load_id>/<name>`` (``name``
        defaults to the source's file name), then write its manifest."""
        ...

    @contextmanager
    def local_copy(self, landed: LandedFile) -> Iterator[Path]:
        """A local path holding the landed file's bytes, for as long as the context lasts."""
        ...

    def file_path(self, landed: LandedFile) -> Path | None:
        """Where the landed file stays readable on this machine, if it does (a local
        lake); None for a remote lake. The warehouse may then read it in place."""
        ...

    def reset(self) -> None:
        """Remove every file of the lake."""
        ...


class LocalLake:
    """A lake in a local folder (the default, ``lake/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)

    def landed(self, table: str) -> list[LandedFile]:
        out = []
        base = self.root / table
        if not base.is_dir():
            return []
        for load_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            m = load_dir / MANIFEST
            if m.is_file():
                out.append(LandedFile.from_manifest(table, load_dir.name, m.read_bytes()))
        return out

    def land(
        self,
        table: str,
        load_id: str,
        source: Path,
        dig: FileDigest,
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> LandedFile:
        name = name or source.name
        load_dir = self.root / table / load_id
        try:
            load_dir.mkdir(parents=True, exist_ok=True)
            tmp = load_dir / (name + ".partial")
            shutil.copyfile(source, tmp)
            os.replace(tmp, load_dir / name)
        except OSError as e:
            raise LoaderError(f"{name}: cannot land in the lake at {load_dir}: {e}") from e
        if progress:
            progress(dig.bytes, dig.bytes)
        landed = LandedFile(
            table, load_id, name, dig.sha256, dig.md5, dig.bytes, datetime.now(UTC).isoformat()
        )
        (load_dir / MANIFEST).write_bytes(landed.manifest())
        return landed

    @contextmanager
    def local_copy(self, landed: LandedFile) -> Iterator[Path]:
        yield self.root / landed.path

    def file_path(self, landed: LandedFile) -> Path | None:
        return self.root / landed.path

    def reset(self) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)


def open_lake(url: str) -> Lake:
    """The lake named by ``url``: a folder path, or ``az://<container>/<prefix>``."""
    if url.startswith("az://") or url.startswith("abfs://") or url.startswith("abfss://"):
        from loader.azure_lake import AzureLake  # imported only when used

        return AzureLake.from_url(url)
    if "://" in url:
        raise LoaderError(f"C360_LAKE={url!r}: use a folder path or az://<container>/<prefix>")
    return LocalLake(Path(url))
