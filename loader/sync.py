"""What every warehouse's sync shares, whatever the engine: which landed files are not
loaded yet, the loop that loads them table by table, and what a sync reports.

:mod:`loader.warehouse` (DuckDB) and :mod:`loader.tsql_warehouse` (SQL Server, Synapse)
both build on this module, and neither imports the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loader.contract import EXTRACTS, Extract
from loader.errors import LoaderError
from loader.lake import Lake, LandedFile

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
    load_file: Callable[[Extract, LandedFile], tuple[int, int]],
    *,
    after_table: Callable[[Extract], None] | None = None,
    on_done: Callable[[TableLoad], None] | None = None,
    fail_after: int | None = None,
) -> list[TableLoad]:
    """The loop every warehouse's sync runs inside its transaction: for each extract, load
    each of its ``pending`` files with ``load_file`` (which returns records, malformed),
    then call ``after_table``; one :class:`TableLoad` a table. ``fail_after`` (tests only)
    raises after that many files, to prove that a failure part-way changes nothing."""
    results = []
    n_files = 0
    for extract in EXTRACTS:
        tl = TableLoad(extract.table)
        t0 = time.perf_counter()
        for lf in pending[extract.table]:
            if fail_after is not None and n_files >= fail_after:
                raise LoaderError(f"{lf.file}: simulated failure part-way")
            records, malformed = load_file(extract, lf)
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
