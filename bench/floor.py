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


def read_csv_sql(path: Path, columns: list[Column | None], as_text: bool = False) -> str:
    """The floor's read of one file, ``columns`` being its :func:`header_columns`: each
    column typed as the contract declares it (a column the contract does not know, or
    every column with ``as_text``, as VARCHAR), the records that do not fit skipped."""
    types = ("VARCHAR" if as_text or c is None else DUCKDB_TYPES[c.type] for c in columns)
    struct = "{" + ", ".join(f"'c{i}': '{t}'" for i, t in enumerate(types)) + "}"
    literal = "'" + str(path).replace("'", "''") + "'"
    return (
        f"read_csv({literal}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', ignore_errors = true, columns = {struct})"
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
            read = read_csv_sql(path, header_columns(path, e))
            t0 = time.perf_counter()
            con.execute(f"create table {e.table} as select * from {read}")
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
