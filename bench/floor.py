"""The floor: DuckDB reading every file of a source folder once, typed, into memory.

``python -m bench.floor DIR [--into FILE]`` runs, for each of the nine extracts, ``create
table ... as select * from read_csv(file, columns = {...})`` in a fresh in-memory DuckDB
(or, with ``--into``, a fresh DuckDB file, which is what a warehouse pays to keep the
records: then a final ``checkpoint`` is timed too), with each
column typed as the contract declares it (int as BIGINT, decimal as DECIMAL(18,2),
datetime as TIMESTAMP, date as DATE, text as VARCHAR), in the file's own column order.
Records that do not fit (the generator's dirt) are skipped with ``ignore_errors``: the
floor is what reading the bytes costs, not what checking them costs. It prints one JSON
object: per file, the seconds and the records read.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from loader.contract import EXTRACTS, Column, Extract
from loader.records import read_header

DUCKDB_TYPES = {
    "int": "BIGINT",
    "decimal": "DECIMAL(18,2)",
    "datetime": "TIMESTAMP",
    "date": "DATE",
    "text": "VARCHAR",
}


def header_columns(path: Path, extract: Extract) -> list[Column | None]:
    """For each field of the file's header, in order, the contract column it holds, matched
    as the loader matches it (:func:`loader.records.map_header`: any case, any order), or
    None for a column the contract does not know."""
    header = read_header(path, extract)
    by_position = dict(zip(header.positions, extract.columns, strict=True))
    return [by_position.get(i) for i in range(len(header.fields))]


def typed_columns(path: Path, extract: Extract) -> str:
    """The ``columns`` struct of ``read_csv`` in the header's order, each column typed as
    the contract declares it (a column the contract does not know is VARCHAR)."""
    cols = header_columns(path, extract)
    return (
        "{"
        + ", ".join(
            f"'c{i}': '{DUCKDB_TYPES[c.type] if c else 'VARCHAR'}'" for i, c in enumerate(cols)
        )
        + "}"
    )


def remove_database(path: Path) -> None:
    """A DuckDB file and its write-ahead log, if they are there."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def read_floor(source: Path, into: Path | None = None) -> dict[str, dict[str, float]]:
    if into is not None:
        remove_database(into)
    con = duckdb.connect(str(into) if into is not None else ":memory:")
    out: dict[str, dict[str, float]] = {}
    try:
        for e in EXTRACTS:
            path = source / e.file
            cols = typed_columns(path, e)
            t0 = time.perf_counter()
            con.execute(
                f"create table {e.table} as select * from read_csv(?, header = true, "
                f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                f"ignore_errors = true, columns = {cols})",
                [str(path)],
            )
            seconds = time.perf_counter() - t0
            rows = con.execute(f"select count(*) from {e.table}").fetchone()[0]
            out[e.file] = {"seconds": seconds, "rows": rows}
        if into is not None:
            t0 = time.perf_counter()
            con.execute("checkpoint")
            out["checkpoint"] = {"seconds": time.perf_counter() - t0, "rows": 0}
    finally:
        con.close()
        if into is not None:
            remove_database(into)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    into = None
    if len(args) == 3 and args[1] == "--into":
        args, into = args[:1], Path(args[2])
    if len(args) != 1:
        print("usage: python -m bench.floor SOURCE_DIR [--into DUCKDB_FILE]", file=sys.stderr)
        return 2
    print(json.dumps(read_floor(Path(args[0]), into)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
