"""Headless Chromium for the browser tests: Debian's chromium, driven by Playwright.

Playwright's own browser download cannot run here (and is not needed): the Python
package's wheel ships the driver, and :func:`chromium` launches the system's
``/usr/bin/chromium`` (installed by ``make test`` through ``.ci/install-test-deps``)
with the flags it needs as root in a container. Pages are offline by default: every
request that is not to a ``file:`` URL or to one of the ``allow`` origins is aborted
and recorded, so a test can assert that nothing was fetched from the network.

Screenshots go to ``test-artifacts/`` at the repository root (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    """The system Chromium: $C360_CHROMIUM, else /usr/bin/chromium, else on PATH."""
    for candidate in (os.environ.get("C360_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageLog:
    """What a page said and asked for: console errors, page errors, blocked requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return self.console_errors + self.page_errors + [f"failed: {u}" for u in self.failed]


@dataclass
class Browser:
    """One Chromium with a fresh profile; :meth:`page` opens a watched page."""

    _browser: object
    logs: list[PageLog] = field(default_factory=list)

    def page(
        self,
        *,
        allow: Sequence[str] = (),
        width: int = 1400,
        height: int = 1000,
        scale: float = 1,
    ) -> tuple[object, PageLog]:
        """A new page whose requests outside ``file:`` and ``allow`` (URL prefixes) are
        aborted and recorded, and whose console errors are collected; ``scale`` is the device
        pixel ratio (2 for crisp screenshots)."""
        context = self._browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": width, "height": height}, device_scale_factor=scale
        )
        page = context.new_page()
        log = PageLog()
        self.logs.append(log)

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            if url.startswith(("file:", "data:", "blob:", "about:")) or url.startswith(
                tuple(allow)
            ):
                r.continue_()  # type: ignore[attr-defined]
            else:
                log.blocked.append(url)
                r.abort()  # type: ignore[attr-defined]

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: log.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))
        page.on(
            "requestfailed",
            lambda r: None if r.url in log.blocked else log.failed.append(r.url),
        )
        return page, log


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch headless Chromium (skips the test when Playwright or Chromium is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = chromium_path()
    if exe is None:
        pytest.skip("no chromium: run `make test-deps` (Debian's chromium)")
    # Playwright gives every launch a fresh temporary --user-data-dir of its own.
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield Browser(browser)
        finally:
            browser.close()


def screenshot(page: object, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of the page to test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path
