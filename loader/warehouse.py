"""How the raw tables are loaded from the lake into the warehouse (DuckDB here).

``raw.<table>`` holds every record of every landed file that could be split into the
header's columns, every field as text, with lineage (``_source_file``, ``_source_row``,
``_load_id``, ``_loaded_at``, ``_lake_path``). Records that could not be split go to
``raw.malformed_records`` with their text. ``raw._loads`` is the ledger of what has
been loaded: a sync loads every landed file not in it, all in one transaction, so a
failure part-way leaves every raw table as it was.

``raw.<table>`` is a view, the union of two kinds of storage, chosen per file:

* *file*: the landed file itself, read by DuckDB's ``read_csv`` (``with ordinality``
  gives the record number). Used when the lake file is on this machine and DuckDB's
  strict parse accepts the whole file. Nothing is copied: writing every field as text
  into a DuckDB table costs about 6 s per million records here, reading the file 0.3 s.
* *table*: ``raw._<table>_rows``, filled by the exact Python splitter
  (:mod:`loader.records`). Used for a file DuckDB refuses (a malformed record, an
  encoding problem), a file where white space touches a quote (the one case where
  DuckDB's reader is looser than RFC 4180 and Python's ``csv``), and a lake that is not
  on this machine (Azure), whose files are downloaded for the load.

Both give the same records and record numbers; ``tests/test_loader.py`` checks it.

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
from loader.records import Header, Malformed, read_header, split_records

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


LINEAGE = "_source_file, _source_row, _load_id, _loaded_at, _lake_path"


def rows_table(extract: Extract) -> str:
    """The table behind ``raw.<table>`` that holds records split by Python."""
    return f"raw.{_q('_' + extract.table + '_rows')}"


def rows_table_ddl(extract: Extract) -> str:
    cols = ", ".join(f"{_q(c)} varchar" for c in extract.column_names)
    return (
        f"create table if not exists {rows_table(extract)} ({cols}, _source_file varchar, "
        "_source_row bigint, _load_id varchar, _loaded_at timestamp, _lake_path varchar)"
    )


def _lit(value: str) -> str:
    """A SQL string literal (for view definitions, which take no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def read_csv_sql(path: str, width: int) -> str:
    """DuckDB's strict reader of one extract, every field as text, with the record number."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    return (f"read_csv({_lit(path)}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', strict_mode = true, columns = {cols}) "
            "with ordinality")


def fast_path_allowed(path: Path) -> bool:
    """Whether DuckDB's reader gives exactly what Python's ``csv`` gives for this file.

    DuckDB refuses (and so sends to Python) every malformed record; it is looser in two
    cases only, which are looked for here: white space between a field boundary and a
    quote (``1, "b"`` or ``"b" ,``) and a blank line before the header. The search is a
    scan for `` "``, ``" `` and their tab forms, each hit checked for a field boundary;
    a hit inside quoted text (``"a ""b"" c"``) is not one.
    """
    import mmap

    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        start = 3 if m[:3] == b"\xef\xbb\xbf" else 0
        if m[start:start + 1] in (b"\r", b"\n"):
            return False
        return not _white_space_at_a_quote(m, start)


_BOUNDARY = frozenset(b",\r\n")
_BLANK = frozenset(b" \t")


def _white_space_at_a_quote(m, start: int) -> bool:
    size = len(m)
    for pat in (b' "', b'\t"'):  # white space, then a quote opening a field?
        i = m.find(pat, start)
        while i >= 0:
            j = i
            while j > start and m[j - 1] in _BLANK:
                j -= 1
            if j == start or m[j - 1] in _BOUNDARY:
                return True
            i = m.find(pat, i + 2)
    for pat in (b'" ', b'"\t'):  # a quote closing a field, then white space?
        i = m.find(pat, start)
        while i >= 0:
            j = i + 1
            while j < size and m[j] in _BLANK:
                j += 1
            if j == size or m[j] in _BOUNDARY:
                return True
            i = m.find(pat, i + 2)
    return False


MALFORMED_DDL = (
    "create table if not exists raw.malformed_records (_table varchar, _source_file varchar, "
    "_source_row bigint, _load_id varchar, _loaded_at timestamp, _lake_path varchar, "
    "record_key varchar, record_text varchar, error varchar)"
)
LOADS_DDL = (
    "create table if not exists raw._loads (table_name varchar, load_id varchar, "
    "source_file varchar, lake_path varchar, sha256 varchar, records bigint, "
    "malformed bigint, loaded_at timestamp, storage varchar, file_path varchar, "
    "header_positions varchar, header_width integer, "
    "primary key (table_name, load_id, source_file))"
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
        except duckdb.Error as e:
            raise LoaderError(f"cannot open the DuckDB file {self.path}: {e}") from e

    def ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        for s in SCHEMAS:
            con.execute(f"create schema if not exists {s}")
        for e in EXTRACTS:
            con.execute(rows_table_ddl(e))
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
                        self._create_view(con, extract)
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

    def _probe(self, path: Path, width: int) -> int | None:
        """The record count if DuckDB's strict reader takes the whole file as Python would,
        else None. Runs on its own connection: a refused file must not abort the load's
        transaction."""
        if not fast_path_allowed(path):
            return None
        probe = duckdb.connect()
        try:
            return probe.execute(
                f"select count(*) from {read_csv_sql(str(path), width)}").fetchone()[0]
        except duckdb.Error:
            return None
        finally:
            probe.close()

    def _load_file(self, con: duckdb.DuckDBPyConnection, lake: Lake, extract: Extract,
                   lf: LandedFile, loaded_at: datetime, tmp: Path,
                   on_file: FileProgress | None) -> tuple[int, int]:
        where = f"{lf.file} (lake: {lf.path})"
        stored = lake.file_path(lf)
        if stored is not None:
            header = read_header(stored, extract, where)
            records = self._probe(stored, len(header.fields))
            if records is not None:
                self._record(con, extract, lf, records, 0, loaded_at, "file",
                             str(stored.resolve()), header)
                if on_file:
                    on_file(lf, records)
                return records, 0
        with lake.local_copy(lf) as path:
            malformed = self._load_rows(con, extract, lf, path, loaded_at, tmp, where, on_file)
        good = con.execute(
            f"select count(*) from {rows_table(extract)} where _load_id = ? and _lake_path = ?",
            [lf.load_id, lf.path],
        ).fetchone()[0]
        records = good + malformed
        self._record(con, extract, lf, records, malformed, loaded_at, "table", None, None)
        if on_file:
            on_file(lf, records)
        return records, malformed

    def _load_rows(self, con: duckdb.DuckDBPyConnection, extract: Extract, lf: LandedFile,
                   path: Path, loaded_at: datetime, tmp: Path, where: str,
                   on_file: FileProgress | None) -> int:
        """Split ``path`` with Python into ``raw._<table>_rows`` and raw.malformed_records."""
        norm = tmp / f"{extract.table}-{lf.load_id}.csv"
        malformed = write_normalized(path, extract, norm, where=where,
                                     progress=(lambda n: on_file(lf, n)) if on_file else None)
        cols = extract.column_names
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + ", '_r': 'BIGINT'}"
        select = ", ".join(_q(c) for c in cols)
        con.execute(
            f"insert into {rows_table(extract)} ({select}, {LINEAGE}) "
            f"select {select}, ?, _r, ?, ?, ? from read_csv(?, header = false, "
            f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
            f"new_line = '\\n', strict_mode = true, columns = {columns})",
            [lf.file, lf.load_id, loaded_at, lf.path, str(norm)],
        )
        norm.unlink()
        if malformed:
            con.executemany(
                "insert into raw.malformed_records values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(extract.table, lf.file, m.row, lf.load_id, loaded_at, lf.path, m.key, m.text,
                  m.error) for m in malformed],
            )
        return len(malformed)

    def _record(self, con: duckdb.DuckDBPyConnection, extract: Extract, lf: LandedFile,
                records: int, malformed: int, loaded_at: datetime, storage: str,
                file_path: str | None, header: Header | None) -> None:
        con.execute(
            "insert into raw._loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [extract.table, lf.load_id, lf.file, lf.path, lf.sha256, records, malformed,
             loaded_at, storage, file_path,
             None if header is None else ",".join(map(str, header.positions)),
             None if header is None else len(header.fields)],
        )

    def _create_view(self, con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
        """``raw.<table>``: the Python-split rows, and every file DuckDB reads directly."""
        cols = extract.column_names
        parts = [f"select {', '.join(_q(c) for c in cols)}, {LINEAGE} from {rows_table(extract)}"]
        files = con.execute(
            "select source_file, load_id, loaded_at, lake_path, file_path, header_positions, "
            "header_width "
            "from raw._loads where table_name = ? and storage = 'file' order by load_id",
            [extract.table],
        ).fetchall()
        for source_file, load_id, loaded_at, lake_path, file_path, positions, width in files:
            pos = [int(p) for p in positions.split(",")]
            select = ", ".join(f"c{p} as {_q(c)}" for p, c in zip(pos, cols, strict=True))
            parts.append(
                f"select {select}, {_lit(source_file)} as _source_file, "
                f"ordinality as _source_row, {_lit(load_id)} as _load_id, "
                f"cast({_lit(loaded_at.isoformat(sep=' '))} as timestamp) as _loaded_at, "
                f"{_lit(lake_path)} as _lake_path from {read_csv_sql(file_path, width)}"
            )
        con.execute(f"create or replace view raw.{_q(extract.table)} as "
                    + "\nunion all\n".join(parts))

    def reset(self) -> None:
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            if p.exists():
                p.unlink()

