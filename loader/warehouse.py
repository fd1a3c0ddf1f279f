"""How the raw tables are loaded from the lake into the warehouse (DuckDB here).

``raw.<table>`` holds every record of every landed file that could be split into the
header's columns, every field as text, with lineage (``_source_file``, ``_source_row``,
``_load_id``, ``_loaded_at``, ``_lake_path``). Records that could not be split go to
``raw.malformed_records`` with their text. ``raw._loads`` is the ledger of what has
been loaded: a sync loads every landed file not in it, all in one transaction, so a
failure part-way leaves every raw table as it was.

Nothing read from a file is ever spliced into SQL: table and column names come from
:mod:`loader.contract`, values travel as parameters or through a file DuckDB reads.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loader.contract import EXTRACTS, Extract
from loader.errors import LoaderError
from loader.lake import Lake, LandedFile
from loader.records import Malformed, split_records

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


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def raw_table_ddl(extract: Extract) -> str:
    cols = ", ".join(f"{_q(c)} varchar" for c in extract.column_names)
    return (
        f"create table if not exists raw.{_q(extract.table)} ({cols}, _source_file varchar, "
        "_source_row bigint, _load_id varchar, _loaded_at timestamp, _lake_path varchar)"
    )


MALFORMED_DDL = (
    "create table if not exists raw.malformed_records (_table varchar, _source_file varchar, "
    "_source_row bigint, _load_id varchar, _loaded_at timestamp, _lake_path varchar, "
    "record_key varchar, record_text varchar, error varchar)"
)
LOADS_DDL = (
    "create table if not exists raw._loads (table_name varchar, load_id varchar, "
    "source_file varchar, lake_path varchar, sha256 varchar, records bigint, "
    "malformed bigint, loaded_at timestamp, primary key (table_name, load_id, source_file))"
)

FileProgress = Callable[[LandedFile, int], None]  # (file, records so far)


def write_normalized(path: Path, extract: Extract, out: Path, where: str,
                     progress: Callable[[int], None] | None = None) -> list[Malformed]:
    """Split ``path`` into records; write the good ones to ``out`` as plain CSV in the
    contract's column order plus the record number; return the malformed ones."""
    malformed: list[Malformed] = []
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        n = 0
        for row_no, rec in split_records(path, extract, where):
            if isinstance(rec, Malformed):
                malformed.append(rec)
            else:
                rec.append(row_no)
                w.writerow(rec)
            n += 1
            if progress and n % 500_000 == 0:
                progress(n)
    return malformed


class DuckDBWarehouse:
    """The raw layer in a DuckDB file (``C360_DUCKDB_PATH``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return duckdb.connect(str(self.path))
        except duckdb.IOException as e:
            raise LoaderError(f"cannot open the DuckDB file {self.path}: {e}") from e

    def ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        for s in SCHEMAS:
            con.execute(f"create schema if not exists {s}")
        for e in EXTRACTS:
            con.execute(raw_table_ddl(e))
        con.execute(MALFORMED_DDL)
        con.execute(LOADS_DDL)

    def loaded(self, con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
        return {tuple(r) for r in con.execute(
            "select table_name, load_id, source_file from raw._loads").fetchall()}

    def sync(self, lake: Lake, *, on_file: FileProgress | None = None,
             on_done: Callable[[TableLoad], None] | None = None,
             fail_after: int | None = None) -> list[TableLoad]:
        """Load every landed file not yet in ``raw._loads``, in one transaction.

        ``fail_after`` (tests only) raises after that many files, to prove that a
        failure part-way changes nothing.
        """
        con = self.connect()
        try:
            self.ensure_schema(con)
            done = self.loaded(con)
            loaded_at = datetime.now(UTC).replace(tzinfo=None)
            results = []
            con.execute("begin transaction")
            try:
                n_files = 0
                with tempfile.TemporaryDirectory(prefix="c360-raw-") as tmp:
                    for extract in EXTRACTS:
                        tl = TableLoad(extract.table)
                        t0 = time.perf_counter()
                        for lf in lake.landed(extract.table):
                            if (lf.table, lf.load_id, lf.file) in done:
                                continue
                            if fail_after is not None and n_files >= fail_after:
                                raise LoaderError(f"{lf.file}: simulated failure part-way")
                            recs, bad = self._load_file(con, lake, extract, lf, loaded_at,
                                                        Path(tmp), on_file)
                            tl.files += 1
                            tl.records += recs
                            tl.malformed += bad
                            n_files += 1
                        tl.seconds = time.perf_counter() - t0
                        results.append(tl)
                        if on_done:
                            on_done(tl)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            return results
        finally:
            con.close()

    def _load_file(self, con: duckdb.DuckDBPyConnection, lake: Lake, extract: Extract,
                   lf: LandedFile, loaded_at: datetime, tmp: Path,
                   on_file: FileProgress | None) -> tuple[int, int]:
        norm = tmp / f"{extract.table}-{lf.load_id}.csv"
        with lake.local_copy(lf) as path:
            malformed = write_normalized(
                path, extract, norm, where=f"{lf.file} (lake: {lf.path})",
                progress=(lambda n: on_file(lf, n)) if on_file else None,
            )
        cols = extract.column_names
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + ", '_r': 'BIGINT'}"
        select = ", ".join(_q(c) for c in cols)
        con.execute(
            f"insert into raw.{_q(extract.table)} ({select}, _source_file, _source_row, "
            f"_load_id, _loaded_at, _lake_path) "
            f"select {select}, ?, _r, ?, ?, ? from read_csv(?, header = false, "
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"new_line = '\\n', strict_mode = true, columns = {columns})",
            [lf.file, lf.load_id, loaded_at, lf.path, str(norm)],
        )
        if malformed:
            con.executemany(
                "insert into raw.malformed_records values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(extract.table, lf.file, m.row, lf.load_id, loaded_at, lf.path, m.key, m.text,
                  m.error) for m in malformed],
            )
        good = con.execute(
            f"select count(*) from raw.{_q(extract.table)} where _load_id = ? and _lake_path = ?",
            [lf.load_id, lf.path],
        ).fetchone()[0]
        records = good + len(malformed)
        con.execute(
            "insert into raw._loads values (?, ?, ?, ?, ?, ?, ?, ?)",
            [extract.table, lf.load_id, lf.file, lf.path, lf.sha256, records, len(malformed),
             loaded_at],
        )
        norm.unlink()
        if on_file:
            on_file(lf, records)
        return records, len(malformed)

    def reset(self) -> None:
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            if p.exists():
                p.unlink()
