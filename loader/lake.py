"""Where bronze files land: the lake, a local folder or Azure Blob Storage / ADLS Gen2.

One interface, :class:`Lake`, with two implementations: :class:`LocalLake` here and
:class:`loader.azure_lake.AzureLake`; :func:`loader.lakes.open_lake` picks one from a URL,
and nothing else in the loader branches on where the lake is. The layout keeps history
and is the same on both::

    <table>/<load_id>/<File>.csv        the file, byte for byte as in the source
    <table>/<load_id>/_manifest.json    {"file", "sha256", "md5", "bytes", "landed_at"}

Every write is atomic: a file is copied under a temporary name and renamed, and the
manifest, written last the same way, is what makes a landing complete. A load folder
without a readable manifest is an interrupted landing: it is ignored, and removed by
the next bootstrap (which holds the lake's lock, :meth:`LocalLake.lock`). A landed
file that cannot be loaded is *quarantined*: ``<table>/<load_id>/_quarantine.json``
holds its manifest and the reason; it is no longer listed as landed, so later loads go
on without it. A delivery whose sha256 equals the latest landed file of the same table
is not landed again.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar

from loader.errors import LoaderError

T = TypeVar("T")

MANIFEST = "_manifest.json"
QUARANTINE = "_quarantine.json"
LOCK = "_lock"
PARTIAL = ".partial"  # the suffix of a file being written
CHUNK = 8 * 1024 * 1024
LOAD_ID_FORMAT = "%Y%m%dT%H%M%S%fZ"
LOCK_TIMEOUT = 600.0  # seconds a bootstrap waits for another one (C360_LOCK_TIMEOUT)

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
    def from_manifest(cls, table: str, load_id: str, data: bytes) -> LandedFile | None:
        """The landed file of a manifest; None when it is not one (empty, cut short or
        foreign: only an interrupted landing or a hand edit leaves such a file)."""
        try:
            d = json.loads(data)
            return cls(
                table=table,
                load_id=load_id,
                **{k: d[k] for k in ("file", "sha256", "md5", "bytes", "landed_at")},
            )
        except (ValueError, TypeError, KeyError):
            return None

    def quarantine_record(self, reason: str) -> bytes:
        """What ``_quarantine.json`` holds: the manifest's fields, the reason and when."""
        d = json.loads(self.manifest())
        d.update(reason=reason, quarantined_at=datetime.now(UTC).isoformat())
        return json.dumps(d, indent=2).encode()


@dataclass(frozen=True)
class Quarantined:
    """A landed file set aside: it is not loaded (again), and later loads go on."""

    landed: LandedFile
    reason: str
    quarantined_at: str

    @classmethod
    def from_record(cls, table: str, load_id: str, data: bytes) -> Quarantined | None:
        lf = LandedFile.from_manifest(table, load_id, data)
        if lf is None:
            return None
        d = json.loads(data)
        return cls(lf, str(d.get("reason", "")), str(d.get("quarantined_at", "")))


def digest(path: Path) -> FileDigest:
    """sha256 and MD5 of a file, read once in chunks."""
    sha, md5, n = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            n += len(chunk)
    return FileDigest(sha.hexdigest(), base64.b64encode(md5.digest()).decode(), n)


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks (hashlib releases the GIL)."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def new_load_id(now: datetime | None = None, after: str | None = None) -> str:
    """A load identifier that sorts in load order: the UTC time, to the microsecond.

    ``after`` is the latest load id already in the lake: the new one is later, by a
    microsecond if the clock has not moved on (or went back). Taken under the lake's
    lock, this makes load ids unique, in the same fixed-width format that the
    warehouse compares as text."""
    t = (now or datetime.now(UTC)).replace(tzinfo=None)
    if after:
        try:
            last = datetime.strptime(after, LOAD_ID_FORMAT)
        except ValueError:
            last = None
        if last is not None and t <= last:
            t = last + timedelta(microseconds=1)
    return t.strftime(LOAD_ID_FORMAT)


def pause_for_tests(point: str) -> None:
    """Stop here for ever when ``C360_TEST_PAUSE_AT`` names ``point``, after saying so on
    stderr: the kill tests kill the process at a known place (see tests/test_reliability.py).
    Nothing happens otherwise."""
    if os.environ.get("C360_TEST_PAUSE_AT") == point:
        print(f"paused at {point}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


def lock_timeout() -> float:
    try:
        return float(os.environ.get("C360_LOCK_TIMEOUT") or LOCK_TIMEOUT)
    except ValueError as e:
        raise LoaderError("C360_LOCK_TIMEOUT must be a number of seconds") from e


def wait_to_take(
    take: Callable[[], T | None],
    busy: Callable[[], str],
    timeout: float,
    on_wait: Callable[[str], None] | None,
    interval: float,
) -> T:
    """What ``take()`` returns once it is not None (None: another run holds the lock),
    trying every ``interval`` seconds for up to ``timeout`` seconds. ``busy()`` says who
    holds it: once through ``on_wait`` when the wait begins, and in the error that ends
    a wait which timed out."""
    deadline = time.monotonic() + timeout
    waited = False
    while (taken := take()) is None:
        holder = busy()
        if time.monotonic() >= deadline:
            raise LoaderError(f"{holder}; gave up waiting after {timeout:g}s (C360_LOCK_TIMEOUT)")
        if not waited and on_wait:
            on_wait(holder)
        waited = True
        time.sleep(interval)
    return taken


@contextmanager
def file_lock(
    path: Path, what: str, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if need be) for as long as the context
    lasts; waits up to ``timeout`` seconds for another holder, naming it once through
    ``on_wait``. The kernel releases a lock when its process ends, however it ends, so a
    killed run never leaves a stale lock behind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise LoaderError(f"cannot create the lock {path} of {what}: {e}") from e

    def take() -> bool | None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return None

    def busy() -> str:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
        return f"another load is running on {what} ({holder or 'another process'})"

    try:
        wait_to_take(take, busy, timeout, on_wait, 0.05)
        me = f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, me.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(path: Path) -> bool:
    """Whether another process holds :func:`file_lock` on ``path`` right now."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` under a temporary name, flush it to disk, rename it."""
    tmp = path.with_name(path.name + PARTIAL)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


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
        """Remove every file of the lake (its lock excepted)."""
        ...

    def not_a_lake(self) -> str | None:
        """Why the place ``url`` names is not a lake this loader wrote (something else
        is there), or None when it is one, or is empty, or does not exist."""
        ...

    def quarantined(self, table: str) -> list[Quarantined]:
        """Every quarantined file of ``table``, oldest load first."""
        ...

    def quarantine(self, landed: LandedFile, reason: str) -> None:
        """Set a landed file aside with its reason: it is no longer listed by
        :meth:`landed`, so nothing loads it again."""
        ...

    def release(self, landed: LandedFile) -> None:
        """Take a quarantined file back (its bytes are what landed again)."""
        ...

    def clean_interrupted(self, dry_run: bool = False) -> list[str]:
        """Remove what interrupted landings left (load folders without a manifest,
        temporary files); return their paths. Only under :meth:`lock`, unless
        ``dry_run`` (list them, remove nothing)."""
        ...

    def lock_held(self) -> bool:
        """Whether another run holds the lake's lock now."""
        ...

    @contextmanager
    def lock(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lake's lock for as long as the context lasts: one load at a time.
        Waits up to ``timeout`` seconds for another holder (calling ``on_wait`` once with
        who holds it), then raises :class:`LoaderError`."""
        ...


class LocalLake:
    """A lake in a local folder (the default, ``lake/``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)
        # (size, mtime in ns) of each file this object landed: the source's bytes were
        # hashed just before the copy, so a load in the same run does not hash the copy
        # again (a source changed in between is caught by its size only).
        self.written: dict[str, tuple[int, int]] = {}

    def _load_dirs(self, table: str) -> list[Path]:
        base = self.root / table
        if not base.is_dir():
            return []
        return sorted(p for p in base.iterdir() if p.is_dir())

    def landed(self, table: str) -> list[LandedFile]:
        out = []
        for load_dir in self._load_dirs(table):
            m = load_dir / MANIFEST
            if m.is_file() and not (load_dir / QUARANTINE).exists():
                lf = LandedFile.from_manifest(table, load_dir.name, m.read_bytes())
                if lf is not None:
                    out.append(lf)
        return out

    def quarantined(self, table: str) -> list[Quarantined]:
        out = []
        for load_dir in self._load_dirs(table):
            q = load_dir / QUARANTINE
            if q.is_file():
                rec = Quarantined.from_record(table, load_dir.name, q.read_bytes())
                if rec is not None:
                    out.append(rec)
        return out

    def quarantine(self, landed: LandedFile, reason: str) -> None:
        load_dir = self.root / landed.table / landed.load_id
        try:
            load_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(load_dir / QUARANTINE, landed.quarantine_record(reason))
        except OSError as e:
            raise LoaderError(f"{landed.path}: cannot quarantine it in the lake: {e}") from e

    def release(self, landed: LandedFile) -> None:
        (self.root / landed.table / landed.load_id / QUARANTINE).unlink(missing_ok=True)

    def clean_interrupted(self, dry_run: bool = False) -> list[str]:
        from loader.contract import EXTRACTS

        removed = []
        for e in EXTRACTS:
            for load_dir in self._load_dirs(e.table):
                m, q = load_dir / MANIFEST, load_dir / QUARANTINE
                complete = q.is_file() or (
                    m.is_file() and LandedFile.from_manifest(e.table, load_dir.name, m.read_bytes())
                )
                if not complete:
                    if not dry_run:
                        shutil.rmtree(load_dir, ignore_errors=True)
                    removed.append(f"{e.table}/{load_dir.name}/")
                    continue
                for tmp in load_dir.glob("*" + PARTIAL):
                    if not dry_run:
                        tmp.unlink(missing_ok=True)
                    removed.append(f"{e.table}/{load_dir.name}/{tmp.name}")
        return removed

    def lock_held(self) -> bool:
        return is_locked(self.root / LOCK)

    @contextmanager
    def lock(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        with file_lock(self.root / LOCK, f"the lake at {self.url}", timeout, on_wait):
            yield

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
            tmp = load_dir / (name + PARTIAL)
            shutil.copyfile(source, tmp)
            pause_for_tests("copying")
            os.replace(tmp, load_dir / name)
            st = os.stat(load_dir / name)
        except OSError as e:
            raise LoaderError(f"{name}: cannot land in the lake at {load_dir}: {e}") from e
        if st.st_size != dig.bytes:
            raise LoaderError(
                f"{name}: {st.st_size:,} bytes landed in the lake at {load_dir}, the source "
                f"has {dig.bytes:,}: the source changed while it was landed; run bootstrap again"
            )
        self.written[f"{table}/{load_id}/{name}"] = (st.st_size, st.st_mtime_ns)
        if progress:
            progress(dig.bytes, dig.bytes)
        landed = LandedFile(
            table, load_id, name, dig.sha256, dig.md5, dig.bytes, datetime.now(UTC).isoformat()
        )
        write_atomic(load_dir / MANIFEST, landed.manifest())
        pause_for_tests("manifest")
        return landed

    @contextmanager
    def local_copy(self, landed: LandedFile) -> Iterator[Path]:
        yield self.root / landed.path

    def file_path(self, landed: LandedFile) -> Path | None:
        return self.root / landed.path

    def not_a_lake(self) -> str | None:
        from loader.contract import EXTRACTS

        if not self.root.exists():
            return None
        if not self.root.is_dir():
            return f"{self.root} is a file, not a folder"
        tables = {e.table for e in EXTRACTS}
        for p in sorted(self.root.iterdir()):
            # The loader writes one folder per table, and folders or files of its own
            # whose names start with "_" (the lock; the T-SQL loader's _normalized/).
            if p.name.startswith("_"):
                continue
            if p.name not in tables or not p.is_dir():
                return f"{p} is not something the loader writes"
            for load_dir in p.iterdir():
                if not load_dir.is_dir():
                    return f"{load_dir} is not a load folder"
        return None

    def reset(self) -> None:
        if not self.root.exists():
            return
        for p in self.root.iterdir():
            if p.name == LOCK:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
