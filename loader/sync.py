"""What every warehouse's sync shares, whatever the engine: which landed files are not
loaded yet, the loop that loads them table by table, and what a sync reports.

:mod:`loader.warehouse` (DuckDB) and :mod:`loader.tsql_warehouse` (SQL Server, Synapse)
both build on this module, and neither imports the other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from loader.contract import EXTRACTS, Extract
from loader.errors import BadLandedFile, LoaderError
from loader.lake import Lake, LandedFile, file_sha256

SCHEMAS = ("raw", "silver", "gold", "audit")


@dataclass
class TableLoad:
    """What one sync loaded into one raw table."""

    table: str
    files: int = 0
    records: int = 0
    malformed: int = 0
    seconds: float = 0.0
    extra_columns: set[str] = field(default_factory=set)


FileProgress = Callable[[LandedFile, int], None]  # (file, records so far)


Pending = dict[str, list[LandedFile]]  # table -> its landed files not yet loaded


def pending_files(lake: Lake, done: set[tuple[str, str, str]]) -> Pending:
    """Each extract's landed files whose (table, load id, file) is not in ``done``, oldest
    load first: the lake is listed once per sync (on Azure, one listing a table)."""
    return {e.table: [lf for lf in lake.landed(e.table) if lf.key not in done] for e in EXTRACTS}


def load_pending(
    pending: Pending,
    load_file: Callable[[Extract, LandedFile], tuple[int, int] | None],
    *,
    after_table: Callable[[Extract], None] | None = None,
    on_done: Callable[[TableLoad], None] | None = None,
    fail_after: int | None = None,
) -> list[TableLoad]:
    """The loop every warehouse's sync runs inside its transaction: for each extract, load
    each of its ``pending`` files with ``load_file`` (which returns records, malformed, or
    None for a file it did not load: quarantined), then call ``after_table``; one
    :class:`TableLoad` a table. ``fail_after`` (tests only) raises after that many files,
    to prove that a failure part-way changes nothing."""
    results = []
    n_files = 0
    for extract in EXTRACTS:
        tl = TableLoad(extract.table)
        t0 = time.perf_counter()
        for lf in pending[extract.table]:
            if fail_after is not None and n_files >= fail_after:
                raise LoaderError(f"{lf.file}: simulated failure part-way")
            counts = load_file(extract, lf)
            if counts is None:  # not loaded: quarantined
                continue
            records, malformed = counts
            tl.files += 1
            tl.records += records
            tl.malformed += malformed
            n_files += 1
        if after_table:
            after_table(extract)
        tl.seconds = time.perf_counter() - t0
        results.append(tl)
        if on_done:
            on_done(tl)
    return results


def check_local_file(lake: Lake, lf: LandedFile) -> tuple[Path | None, os.stat_result | None]:
    """Where the landed file is on this machine, and its ``stat``, once it is checked to be
    what landed: its size, and its sha256 unless this run landed it (the lake's
    ``written``: the source was hashed just before the copy). ``(None, None)`` for a
    remote lake, whose :meth:`Lake.local_copy` checks the sha256 as it downloads.

    Raises :class:`BadLandedFile` for a changed file, and ``FileNotFoundError`` for a file
    that is gone (:func:`landed_file_errors` says so)."""
    stored = lake.file_path(lf)
    if stored is None:
        return None, None
    stat = os.stat(stored)
    if stat.st_size != lf.bytes:
        raise BadLandedFile(
            lf, f"the file is {stat.st_size:,} bytes, its manifest says {lf.bytes:,}"
        )
    written = getattr(lake, "written", {}).get(lf.path)
    if written != (stat.st_size, stat.st_mtime_ns) and file_sha256(stored) != lf.sha256:
        raise BadLandedFile(lf, "its bytes no longer match the sha256 of its manifest")
    return stored, stat


@contextmanager
def landed_file_errors(lf: LandedFile) -> Iterator[None]:
    """Errors met reading the landed file ``lf`` become :class:`BadLandedFile`, which a
    sync quarantines: gone, unreadable, or a :class:`LoaderError` about its content (an
    unreadable header, text that is not UTF-8). An outage of the lake is no fault of the
    file's: it stops the load."""
    where = f"{lf.file} (lake: {lf.path})"
    try:
        yield
    except BadLandedFile:
        raise
    except LoaderError as e:
        if getattr(e, "lake_outage", False):
            raise
        raise BadLandedFile(lf, str(e).removeprefix(where + ": ")) from e
    except FileNotFoundError as e:
        raise BadLandedFile(lf, "the file is gone from the lake") from e
    except OSError as e:
        raise BadLandedFile(lf, f"cannot read it: {e.strerror or e}") from e
