"""Bootstrap: validate a source folder, land its files in the lake, load the raw tables.

1. Validate: the nine files of CONTRACT.md section 1 are there and each header holds
   its required columns (any order, any case). Any refusal happens here, before
   anything is landed or loaded.
2. Land: each file whose content (sha256) is not yet in the lake for its table is
   copied to ``<table>/<load_id>/<File>`` under one load id for the run.
3. Load: the warehouse loads every landed file it has not loaded yet, from the lake.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from loader import two_workers
from loader.contract import EXTRACTS, Extract
from loader.errors import LoaderError
from loader.lake import FileDigest, Lake, LandedFile, digest, new_load_id
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
        files.append(SourceFile(e, path, read_header(path, e, where=e.file)))
    return files


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
    """Land each file not already in the lake (same sha256 for the same table).

    ``on_file`` is called once a file is landed or found unchanged; ``on_bytes`` with
    (file, bytes done, bytes in all) while a file is copied or uploaded.
    """
    load_id = load_id or new_load_id()
    out = []
    # hashlib releases the GIL: the files' digests are computed two at a time, ahead of
    # the copies, which go one by one in the source's order.
    with ThreadPoolExecutor(max_workers=two_workers()) as pool:
        digests = list(pool.map(lambda sf: digest(sf.path), files))
    for sf, dig in zip(files, digests, strict=True):
        existing = {lf.sha256: lf for lf in lake.landed(sf.extract.table)}
        if dig.sha256 in existing:
            out.append(Landing(sf, existing[dig.sha256], False))
            if on_file:
                on_file(sf, dig, False)
            continue
        # The file keeps the contract's name in the lake whatever its case in the source.
        progress = (lambda done, total, sf=sf: on_bytes(sf, done, total)) if on_bytes else None
        landed = lake.land(
            sf.extract.table, load_id, sf.path, dig, name=sf.extract.file, progress=progress
        )
        out.append(Landing(sf, landed, True))
        if on_file:
            on_file(sf, dig, True)
    return out
