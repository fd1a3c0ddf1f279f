"""Bootstrap: validate a source folder, land its files in the lake, load the raw tables.

1. Validate: the nine files of CONTRACT.md section 1 are there and each header holds
   its required columns (any order, any case); then every byte of every file, in the
   same pass that hashes it (:func:`inspect_file`): UTF-8 throughout, no line longer
   than DuckDB's reader takes. Any refusal happens here, before anything is landed or
   loaded, in one line naming the file, the line and the byte.
2. Land: each file whose content (sha256) differs from the latest landed file of its
   table is copied to ``<table>/<load_id>/<File>`` under one load id for the run (an
   earlier extract delivered again is a new load, and wins).
3. Load: the warehouse loads every landed file it has not loaded yet, from the lake.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from loader import two_workers
from loader.contract import EXTRACTS, Extract
from loader.errors import LoaderError
from loader.lake import CHUNK, FileDigest, Lake, LandedFile, new_load_id
from loader.records import Header, read_header, shown


@dataclass(frozen=True)
class SourceFile:
    extract: Extract
    path: Path
    header: Header


def find_file(source: Path, name: str) -> Path | None:
    """The file called ``name`` in ``source``; the exact name first, then any case. Two or
    more files matching in other cases only (``stores.csv`` and ``STORES.CSV``) are
    ambiguous: refused, naming them."""
    exact = source / name
    if exact.is_file():
        return exact
    matches = sorted(p for p in source.iterdir() if p.is_file() and p.name.lower() == name.lower())
    if len(matches) > 1:
        raise LoaderError(
            f"{name}: {len(matches)} files in {source} match it in some case "
            f"({', '.join(shown(p.name) for p in matches)}): which one is the extract is "
            f"ambiguous; keep one, or name it exactly {name}"
        )
    return matches[0] if matches else None


def validate_source(source: Path) -> list[SourceFile]:
    """Check the source folder against the contract; raise :class:`LoaderError` on the
    first missing file or column, naming it."""
    if not source.is_dir():
        raise LoaderError(f"source folder {source} does not exist")
    files = []
    for e in EXTRACTS:
        path = find_file(source, e.file)
        if path is None:
            raise LoaderError(f"{e.file}: required file is missing from {source}")
        try:
            header = read_header(path, e, where=e.file)
        except LoaderError:
            # Not UTF-8 within the first block read: say where exactly, as for the rest.
            inspect_file(path, path.name)
            raise
        files.append(SourceFile(e, path, header))
    return files


# DuckDB's reader refuses a line longer than this (its max_line_size); such a file
# would crash a load, so it is refused before it lands.
MAX_LINE_BYTES = 2_000_000


def inspect_file(path: Path, where: str, max_line: int = MAX_LINE_BYTES) -> FileDigest:
    """The file's digest, computed in the same single pass that checks every byte of it:
    UTF-8 throughout, and no line over ``max_line`` bytes. A problem raises
    :class:`LoaderError` naming the file, the line (1-based, physical lines, the header
    being line 1) and the byte (0-based offset from the start of the file)."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    offset = 0  # bytes of the file before ``chunk``
    lines = 0  # line ends before ``chunk``
    pending = b""  # the end of the previous chunk, an incomplete UTF-8 sequence
    decode = codecs.utf_8_decode
    block = 1 << ((max_line // 2).bit_length() - 1)  # a power of two <= max_line / 2
    with open(path, "rb") as f:
        while True:
            chunk = f.read(CHUNK)
            sha.update(chunk)
            md5.update(chunk)
            if pending or not chunk.isascii():  # ASCII is UTF-8: no need to decode it
                data = pending + chunk
                base = offset - len(pending)  # the file offset of data[0]
                try:
                    _, used = decode(data, "strict", not chunk)
                except UnicodeDecodeError as e:
                    at = base + e.start
                    line = lines + data.count(b"\n", 0, e.start) + 1
                    raise LoaderError(
                        f"{where}: not UTF-8 text at line {line:,} (byte {at:,}): save it as UTF-8"
                    ) from e
                pending = data[used:]
            # A line over max_line bytes holds a whole aligned block of ``block`` bytes
            # with no line end: only those blocks are looked at (a few per chunk; a
            # block never straddles two chunks, since it divides CHUNK).
            for at in range(0, len(chunk) - block + 1, block):
                if b"\n" not in chunk[at : at + block]:
                    _check_line(path, where, offset + at, max_line)
            offset += len(chunk)
            lines += chunk.count(b"\n")
            if not chunk:
                break
    return FileDigest(sha.hexdigest(), base64.b64encode(md5.digest()).decode(), offset)


def _check_line(path: Path, where: str, at: int, max_line: int) -> None:
    """Refuse the file if the line holding byte ``at`` is over ``max_line`` bytes (its
    line end, LF or CRLF, not counted)."""
    with open(path, "rb") as f:
        start = at
        while start > 0:  # back to the line's start
            step = min(CHUNK, start)
            f.seek(start - step)
            nl = f.read(step).rfind(b"\n")
            if nl >= 0:
                start = start - step + nl + 1
                break
            start -= step
        end = at  # forward to its end
        f.seek(end)
        while buf := f.read(CHUNK):
            nl = buf.find(b"\n")
            if nl >= 0:
                end += nl
                break
            end += len(buf)
        if end > start:
            f.seek(end - 1)
            if f.read(1) == b"\r":
                end -= 1
        if end - start <= max_line:
            return
        f.seek(0)
        line, done = 1, 0
        while done < start:
            buf = f.read(min(CHUNK, start - done))
            line += buf.count(b"\n")
            done += len(buf)
    raise LoaderError(
        f"{where}: line {line:,} (byte {start:,}) is {end - start:,} bytes long, over the "
        f"{max_line:,} bytes a record may take: not landed"
    )


@dataclass(frozen=True)
class Landing:
    source: SourceFile
    landed: LandedFile
    new: bool  # False: the same bytes were in the lake already


def land_source(
    files: list[SourceFile],
    lake: Lake,
    load_id: str | None = None,
    on_file: Callable[[SourceFile, FileDigest, bool], None] | None = None,
    on_bytes: Callable[[SourceFile, int, int], None] | None = None,
) -> list[Landing]:
    """Land each file whose bytes differ from the latest landed file of its table (an
    older file delivered again is a new load: it is the latest delivery, and wins).

    Every file is inspected whole (:func:`inspect_file`) before the first one lands. The
    load id is later than every load id of the lake's nine tables (:func:`new_load_id`).
    ``on_file`` is called once a file is landed or found unchanged; ``on_bytes`` with
    (file, bytes done, bytes in all) while a file is copied or uploaded.
    """
    out = []
    # hashlib and UTF-8 decoding release the GIL: the files' digests are computed two at
    # a time, ahead of the copies, which go one by one in the source's order.
    with ThreadPoolExecutor(max_workers=two_workers()) as pool:
        digests = list(pool.map(lambda sf: inspect_file(sf.path, sf.path.name), files))
    landed = {sf.extract.table: lake.landed(sf.extract.table) for sf in files}
    if load_id is None:
        ids = [lf.load_id for lfs in landed.values() for lf in lfs]
        ids += [q.landed.load_id for sf in files for q in lake.quarantined(sf.extract.table)]
        load_id = new_load_id(after=max(ids, default=None))
    for sf, dig in zip(files, digests, strict=True):
        history = landed[sf.extract.table]
        if history and history[-1].sha256 == dig.sha256:
            out.append(Landing(sf, history[-1], False))
            if on_file:
                on_file(sf, dig, False)
            continue
        # The file keeps the contract's name in the lake whatever its case in the source.
        progress = (lambda done, total, sf=sf: on_bytes(sf, done, total)) if on_bytes else None
        lf = lake.land(
            sf.extract.table, load_id, sf.path, dig, name=sf.extract.file, progress=progress
        )
        out.append(Landing(sf, lf, True))
        if on_file:
            on_file(sf, dig, True)
    return out
