"""How the raw tables are loaded from the lake into the warehouse (DuckDB here).

``raw.<table>`` holds every record of every landed file that could be split into the
header's columns, every field as text, with lineage (``_source_file``, ``_source_row``,
``_load_id``, ``_loaded_at``, ``_lake_path``). Records that could not be split go to
``raw.malformed_records`` with their text. ``raw._loads`` is the ledger of what has
been loaded: a sync loads every landed file not in it, all in one transaction, so a
failure part-way leaves every raw table as it was.

``raw.<table>`` is a view, the union of two kinds of storage, chosen per landed file:

* *file*: the landed file itself, read in place by DuckDB's ``read_csv``. Used when the
  lake is on this machine. Nothing is copied: writing every field as text into a DuckDB
  table costs about 6 s per million records here, reading the file about 0.3 s.
* *table*: ``raw._<table>_rows``, filled at load time. Used
  for a lake that is not on this machine (Azure: the file is downloaded for the load),
  and for a file DuckDB's reader refuses or reads more loosely than RFC 4180, which the
  exact Python splitter (:mod:`loader.records`) then splits.

How DuckDB reads a file exactly as Python's ``csv`` would (``read_csv_sql``): every field
as text, ``PAD`` columns more than the header has, short records padded with NULL, and a
``nullstr`` no field holds, so that a field that is present is never NULL. A record's
field count is then the number of its non-NULL columns: it is malformed unless that is
the header's width. ``with ordinality`` gives the record number (blank lines are skipped
by both readers). DuckDB refuses broken quoting and records with more than ``PAD`` extra
fields (Python takes those files), and is looser than RFC 4180 in one way only, white
space between a quote and a field boundary (``1, "b"``), which a byte scan beside the
Python splitter finds first (:func:`loader.records.fast_path_allowed`).
``tests/test_loader.py`` proves both paths give the same rows.

Nothing read from a file is ever spliced into SQL: table and column names come from
:mod:`loader.contract`, values travel as parameters or through a file DuckDB reads.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from loader import two_workers
from loader.contract import EXTRACTS, LINEAGE_COLUMNS, Extract
from loader.errors import BadLandedFile, LoaderError
from loader.lake import Lake, LandedFile, file_sha256, pause_for_tests
from loader.records import (
    NULL_MARK,
    LineTally,
    Malformed,
    count_lines,
    fast_path_allowed,
    read_header,
    split_records,
)
from loader.sync import (
    SCHEMAS,
    FileProgress,
    Pending,
    TableLoad,
    check_local_file,
    landed_file_errors,
    load_pending,
    pending_files,
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    """A SQL string literal (view definitions take no parameters; every value here is the
    loader's own: lake paths, load ids, file names of the contract)."""
    return "'" + value.replace("'", "''") + "'"


# The lineage columns every raw relation carries, and raw.malformed_records' columns,
# with their DuckDB types: the DDL, the column lists and the JSON schema derive from these.
LINEAGE_TYPES: tuple[tuple[str, str], ...] = tuple(
    zip(LINEAGE_COLUMNS, ("varchar", "bigint", "varchar", "timestamp", "varchar"), strict=True)
)
MALFORMED_TYPES: tuple[tuple[str, str], ...] = (
    ("_table", "varchar"),
    *LINEAGE_TYPES,
    ("record_key", "varchar"),
    ("record_text", "varchar"),
    ("error", "varchar"),
)
LINEAGE = ", ".join(LINEAGE_COLUMNS)
MALFORMED_NAMES = tuple(name for name, _ in MALFORMED_TYPES)
MALFORMED_COLUMNS = ", ".join(MALFORMED_NAMES)
PAD = 8  # columns read beyond the header's width
WHITE_SPACE = " \t\r\n\x0b\x0c"  # what trimming removes, here and in silver


def rows_table(extract: Extract) -> str:
    """The table behind ``raw.<table>`` that holds records loaded at load time."""
    return f"raw.{_q('_' + extract.table + '_rows')}"


def _columns_ddl(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{_q(name)} {type_}" for name, type_ in columns)


def rows_table_ddl(extract: Extract) -> str:
    cols = tuple((c, "varchar") for c in extract.column_names) + LINEAGE_TYPES
    return f"create table if not exists {rows_table(extract)} ({_columns_ddl(cols)})"


MALFORMED_DDL = (
    f"create table if not exists raw.malformed_records ({_columns_ddl(MALFORMED_TYPES)})"
)
LOADS_DDL = (
    "create table if not exists raw._loads (table_name varchar, load_id varchar, "
    "source_file varchar, lake_path varchar, sha256 varchar, records bigint, "
    "malformed bigint, loaded_at timestamp, storage varchar, file_path varchar, "
    "header_positions varchar, header_width integer, physical_lines bigint, "
    "other_lines bigint, file_bytes bigint, file_mtime bigint, "
    "primary key (table_name, load_id, source_file))"
)
# Added later, so a ledger made before gains them (NULL for its earlier rows): the line
# counts of a file (physical_lines, other_lines: the accounting test's line check), and
# the size and modification time (whole seconds) of a file read in place, as checked at
# its load (file_bytes, file_mtime: the raw view checks both before it reads the file; a
# sync checks them and hashes a file whose size or time moved).
LOADS_UPGRADE = tuple(
    f"alter table raw._loads add column if not exists {c} bigint"
    for c in ("physical_lines", "other_lines", "file_bytes", "file_mtime")
)
LOADS_INSERT = (
    "insert into raw._loads (table_name, load_id, source_file, lake_path, sha256, records, "
    "malformed, loaded_at, storage, file_path, header_positions, header_width, "
    "physical_lines, other_lines, file_bytes, file_mtime) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def read_csv_sql(path: str, width: int) -> str:
    """DuckDB's reader of one extract: see the module's docstring."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + PAD)) + "}"
    return (
        f"read_csv({_lit(path)}, header = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', strict_mode = true, null_padding = true, "
        f"parallel = false, nullstr = {_lit(NULL_MARK)}, columns = {cols}) with ordinality"
    )


@dataclass(frozen=True)
class FileRead:
    """One landed file read in place: what its two selects need."""

    extract: Extract
    path: str
    width: int  # the header's field count
    positions: tuple[int, ...]  # each contract column's index in the record
    source_file: str
    load_id: str
    loaded_at: datetime
    lake_path: str
    # What the file must still be before the raw view reads it (None: not checked).
    file_bytes: int | None = None
    file_mtime: int | None = None

    def _lineage_columns(self) -> list[tuple[str, str]]:
        """(lineage column, its expression) for a record of this file."""
        loaded_at = f"cast({_lit(self.loaded_at.isoformat(sep=' '))} as timestamp)"
        exprs = (
            _lit(self.source_file),
            "ordinality",
            _lit(self.load_id),
            loaded_at,
            _lit(self.lake_path),
        )
        return list(zip(LINEAGE_COLUMNS, exprs, strict=True))

    def _lineage(self) -> str:
        return ", ".join(f"{expr} as {name}" for name, expr in self._lineage_columns())

    @property
    def source(self) -> str:
        return read_csv_sql(self.path, self.width)

    @property
    def complete(self) -> str:
        """The record has exactly the header's field count."""
        return f"c{self.width - 1} is not null and c{self.width} is null"

    def good_sql(self) -> str:
        """The file's records that split into the header's columns, as ``raw.<table>``."""
        cols = ", ".join(
            f"nullif(c{p}, '') as {_q(c)}"
            for p, c in zip(self.positions, self.extract.column_names, strict=True)
        )
        return (
            f"select {cols}, {self._lineage()} from {self.source} where {self.complete}"
            + self._unchanged()
        )

    def _unchanged(self) -> str:
        """A condition that stops any query reading this file once its size or its
        modification time differs from the load's (read_blob reads only the file's
        metadata here), with an error naming it. Bronze is immutable: see
        docs/ARCHITECTURE.md for what this guarantees and what ``loader verify`` adds."""
        if self.file_bytes is None or self.file_mtime is None:
            return ""
        message = (
            f"the lake file {self.lake_path} ({self.path}) changed after it was loaded "
            f"(it was {self.file_bytes} bytes): bronze is immutable; run "
            "python -m loader verify, then python -m loader bootstrap"
        )
        return (
            f" and (select case when size = {int(self.file_bytes)} and "
            f"epoch(last_modified) = {int(self.file_mtime)} then true else "
            f"error({_lit(message)}) end from read_blob({_lit(self.path)}))"
        )

    def _malformed_columns(self) -> list[tuple[str, str]]:
        """(column of raw.malformed_records, its expression) for a malformed record. Its
        text is rebuilt from its fields (quoted where a field needs it)."""
        fields = (
            "list_filter(["
            + ", ".join(f"c{i}" for i in range(self.width + PAD))
            + "], x -> x is not null)"
        )
        keys = [
            self.positions[self.extract.column_names.index(k)] for k in self.extract.primary_key
        ]
        key = (
            "case when "
            + " and ".join(f"c{k} is not null" for k in keys)
            + " then concat_ws('|', "
            + ", ".join(f"trim(c{k}, {_lit(WHITE_SPACE)})" for k in keys)
            + ") end"
        )
        quoted = (
            f"list_transform({fields}, x -> case when regexp_matches(x, '[,\"\r\n]') "
            "then '\"' || replace(x, '\"', '\"\"') || '\"' else x end)"
        )
        return [
            ("_table", _lit(self.extract.table)),
            *self._lineage_columns(),
            ("record_key", key),
            ("record_text", f"array_to_string({quoted}, ',')"),
            ("error", f"len({fields}) || ' fields where the header has {self.width}'"),
        ]

    def scan_sql(self) -> str:
        """One pass over the file: its record count and its malformed records (a list of
        structs with raw.malformed_records' columns; they are few)."""
        struct = ", ".join(f"{name} := {expr}" for name, expr in self._malformed_columns())
        # CASE evaluates the struct for the malformed records only. The list travels as
        # one JSON text: DuckDB's Python conversion of structs costs milliseconds each.
        # The third column: does a malformed record span several lines (a line break in
        # a field)? Then Python must split the file (it rejects only the first line).
        return (
            f"select count(*), cast(to_json(coalesce(list(bad) filter "
            f"(where bad is not null), [])) as varchar), "
            f"coalesce(bool_or(regexp_matches(bad.record_text, '[\r\n]')), false) "
            f"from (select case when not ({self.complete}) then struct_pack({struct}) end "
            f"as bad from {self.source})"
        )


MALFORMED_JSON = (
    "[{" + ", ".join(f'"{name}": "{type_.upper()}"' for name, type_ in MALFORMED_TYPES) + "}]"
)


def insert_malformed_json(con: duckdb.DuckDBPyConnection, rows: str) -> int:
    """Insert malformed records given as one JSON array into raw.malformed_records, in one
    statement (DuckDB's executemany, and its conversion of Python structs, cost
    milliseconds a row); return how many."""
    return con.execute(
        "insert into raw.malformed_records select unnest(from_json(cast(? as json), ?), "
        "recursive := true)",
        [rows, MALFORMED_JSON],
    ).fetchone()[0]


def write_normalized(
    path: Path,
    extract: Extract,
    out: Path,
    where: str,
    progress: Callable[[int], None] | None = None,
    tally: LineTally | None = None,
) -> list[Malformed]:
    """Split ``path`` into records; write the good ones to ``out`` as plain CSV in the
    contract's column order plus the record number; return the malformed ones."""
    malformed: list[Malformed] = []
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        n = 0
        for row_no, rec in split_records(path, extract, where, tally):
            if isinstance(rec, Malformed):
                malformed.append(rec)
            else:
                rec.append(row_no)
                w.writerow(rec)
            n += 1
            if progress and n % 500_000 == 0:
                progress(n)
    return malformed


def file_read(
    extract: Extract,
    lf: LandedFile,
    path: Path,
    fields: list[str],
    positions: tuple[int, ...],
    loaded_at: datetime,
) -> FileRead:
    """How DuckDB reads the landed file ``lf`` (at ``path`` on this machine)."""
    return FileRead(
        extract,
        str(Path(path).resolve()),
        len(fields),
        tuple(positions),
        lf.file,
        lf.load_id,
        loaded_at,
        lf.path,
    )


def scan_file(read: FileRead) -> tuple[int, str, int] | None:
    """(records, malformed records as JSON, physical lines) if DuckDB reads the file
    exactly as Python would, else None. Runs on a connection of its own: a refused file
    must not abort the load's transaction, and scans of two files can run at once.

    A malformed record that spans several lines is one DuckDB reads whole, where the
    contract (and :func:`loader.records.split_records`) rejects only its first line and
    reads on from the next: such a file goes to Python.

    The connection has one DuckDB thread: the reader runs on one anyway (``parallel =
    false``), and with two, the calling thread busy-waits while DuckDB's worker runs the
    scan (duckdb/duckdb#22178), so two scans at once kept four threads busy on two cores
    (the nine files at 10M, two at a time: 25 s, against 19 s on one thread each)."""
    if not fast_path_allowed(Path(read.path)):
        return None
    probe = duckdb.connect(config={"threads": 1})
    try:
        records, bad, spans_lines = probe.execute(read.scan_sql()).fetchone()
    except duckdb.Error:
        return None
    finally:
        probe.close()
    if spans_lines:
        return None
    return records, bad, count_lines(Path(read.path))


class ScanAhead:
    """The scans (:func:`scan_file`) of a sync's pending files on this machine, run ahead
    on two threads while the load's transaction takes the results in order.

    A scan is two halves: the byte scan of :func:`fast_path_allowed` (Python, holding the
    GIL) and DuckDB's pass over the file (which releases it, on one core: the reader
    needs ``parallel = false`` for its record numbers). Two at once keep both cores busy:
    at 10M online transactions this took the load from 33 s to about half. Nothing is
    written here: a result is only used by :meth:`DuckDBWarehouse._load_file`, in order,
    for the same :class:`FileRead`; any doubt (an unreadable header, another read) and
    the file is scanned again in line."""

    NOT_SCANNED = object()

    def __init__(self, lake: Lake, pending: Pending, loaded_at: datetime):
        self._futures: dict[tuple[str, str, str], Future] = {}
        self._pool = ThreadPoolExecutor(max_workers=two_workers(), thread_name_prefix="c360-scan")
        for extract in EXTRACTS:
            for lf in pending[extract.table]:
                path = lake.file_path(lf)
                if path is None:
                    continue
                self._futures[lf.key] = self._pool.submit(self._scan, extract, lf, path, loaded_at)

    @staticmethod
    def _scan(
        extract: Extract, lf: LandedFile, path: Path, loaded_at: datetime
    ) -> tuple[FileRead, tuple[int, str, int] | None] | None:
        try:
            header = read_header(path, extract, lf.file)
        except LoaderError:
            return None  # the load reads the header again and reports it
        read = file_read(extract, lf, path, header.fields, header.positions, loaded_at)
        return read, scan_file(read)

    def take(self, lf: LandedFile, read: FileRead) -> tuple[int, str, int] | None | object:
        """The scan of ``read`` if it was run ahead, else :attr:`NOT_SCANNED`."""
        future = self._futures.pop(lf.key, None)
        if future is None:
            return self.NOT_SCANNED
        done = future.result()
        if done is None or done[0] != read:
            return self.NOT_SCANNED
        return done[1]

    def __enter__(self) -> ScanAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def held_by_another_process(path: Path) -> str | None:
    """DuckDB's message if another process holds the DuckDB file at ``path`` (a bootstrap
    loading it, a dbt build, a notebook), else None. Opens it for writing for a moment, as
    dbt would."""
    if not path.is_file():
        return None
    try:
        duckdb.connect(str(path)).close()
    except duckdb.IOException as e:
        text = str(e).splitlines()[0] if str(e) else type(e).__name__
        return text if "lock" in text.lower() else None
    except duckdb.Error:
        return None  # not ours to judge here: dbt will say what is wrong
    return None


class DuckDBWarehouse:
    """The raw layer in a DuckDB file (``C360_DUCKDB_PATH``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def refuse_other_files(self) -> None:
        """Refuse a path that exists and is no DuckDB database: DuckDB would open some
        (``x.csv``) as an empty in-memory database and the load would vanish, and reset
        would delete the file. A DuckDB file says ``DUCK`` at byte 8."""
        if self.path.is_dir():
            raise LoaderError(
                f"the DuckDB path {self.path} (--duckdb or C360_DUCKDB_PATH) is a folder: "
                "name a DuckDB file, e.g. warehouse/customer360.duckdb"
            )
        if self.path.is_file() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as f:
                head = f.read(12)
            if head[8:12] != b"DUCK":
                raise LoaderError(
                    f"the DuckDB path {self.path} (--duckdb or C360_DUCKDB_PATH) is an "
                    "existing file that is not a DuckDB database: nothing was changed; name "
                    "the warehouse's file, or a new one"
                )

    def connect(self) -> duckdb.DuckDBPyConnection:
        self.refuse_other_files()
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
        for sql in LOADS_UPGRADE:
            con.execute(sql)

    def loaded(self, con: duckdb.DuckDBPyConnection) -> set[tuple[str, str, str]]:
        return {
            tuple(r)
            for r in con.execute(
                "select table_name, load_id, source_file from raw._loads"
            ).fetchall()
        }

    def sync(
        self,
        lake: Lake,
        *,
        on_file: FileProgress | None = None,
        on_done: Callable[[TableLoad], None] | None = None,
        on_quarantine: Callable[[LandedFile, str], None] | None = None,
        fail_after: int | None = None,
    ) -> list[TableLoad]:
        """Load every landed file not yet in ``raw._loads``, in one transaction.

        A landed file that cannot be loaded (gone, changed since it landed, unreadable)
        is quarantined in the lake with its reason (``on_quarantine`` is told), the
        transaction is rolled back, and the sync starts again without it: one bad file
        never stops the others, nor later loads. The files read in place that earlier
        syncs loaded are checked first (:meth:`_check_files_read_in_place`).

        ``fail_after`` (tests only) raises after that many files, to prove that a
        failure part-way changes nothing.
        """
        quarantined: set[tuple[str, str, str]] = set()
        while True:
            try:
                return self._sync_once(
                    lake,
                    on_file=on_file,
                    on_done=on_done,
                    fail_after=fail_after,
                    on_quarantine=on_quarantine,
                )
            except BadLandedFile as e:
                if e.landed.key in quarantined:  # still listed: never loop on it
                    raise
                quarantined.add(e.landed.key)
                lake.quarantine(e.landed, e.reason)
                if on_quarantine:
                    on_quarantine(e.landed, e.reason)

    def _sync_once(
        self,
        lake: Lake,
        *,
        on_file: FileProgress | None,
        on_done: Callable[[TableLoad], None] | None,
        on_quarantine: Callable[[LandedFile, str], None] | None,
        fail_after: int | None,
    ) -> list[TableLoad]:
        con = self.connect()
        try:
            self.ensure_schema(con)
            pending = pending_files(lake, self.loaded(con))
            loaded_at = datetime.now(UTC).replace(tzinfo=None)
            con.execute("begin transaction")
            try:
                self._check_files_read_in_place(con, lake, on_quarantine)
                with (
                    tempfile.TemporaryDirectory(prefix="c360-raw-") as tmp,
                    ScanAhead(lake, pending, loaded_at) as ahead,
                ):
                    results = load_pending(
                        pending,
                        lambda extract, lf: self._load_file(
                            con, lake, extract, lf, loaded_at, Path(tmp), on_file, ahead
                        ),
                        after_table=lambda extract: self._create_view(con, extract),
                        on_done=on_done,
                        fail_after=fail_after,
                    )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            return results
        finally:
            con.close()

    def check_landed(
        self, lake: Lake, on_quarantine: Callable[[LandedFile, str], None] | None = None
    ) -> None:
        """:meth:`_check_files_read_in_place`, committed on its own: a bootstrap runs it
        before landing, so that a delivery equal to a quarantined file lands anew."""
        if not self.path.exists():
            return
        con = self.connect()
        try:
            self.ensure_schema(con)
            con.execute("begin transaction")
            try:
                self._check_files_read_in_place(con, lake, on_quarantine)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.close()

    def _check_files_read_in_place(
        self,
        con: duckdb.DuckDBPyConnection,
        lake: Lake,
        on_quarantine: Callable[[LandedFile, str], None] | None,
    ) -> None:
        """Every landed file a raw view reads in place must still be what was loaded: a
        file that is gone, or whose bytes no longer hash to its manifest's sha256, is
        quarantined and left out of the views (its records were loaded: the ledger keeps
        its row, with storage 'quarantined'). A file whose size and modification time
        are those of its load is taken as unchanged; one whose time alone moved (a
        copy) is hashed, and its new time recorded when it still matches. A file
        quarantined here that is back, byte for byte, is taken back (its records return
        to raw)."""
        rows = con.execute(
            "select table_name, load_id, source_file, sha256, file_path, file_bytes, "
            "file_mtime, storage from raw._loads where storage in ('file', 'quarantined') "
            "and file_path is not null order by load_id"
        ).fetchall()
        for table, load_id, source_file, sha, path, size, mtime, storage in rows:
            key = [table, load_id, source_file]
            lf = LandedFile(table, load_id, source_file, sha, "", size or 0, "")
            try:
                st = os.stat(path)
            except OSError:
                reason = "the file is gone from the lake"
            else:
                if size is not None and st.st_size != size:
                    reason = f"the file is {st.st_size:,} bytes, not the {size:,} loaded"
                elif storage == "file" and size is not None and int(st.st_mtime) == mtime:
                    continue
                elif file_sha256(Path(path)) != sha:
                    reason = "its bytes no longer match the sha256 of its manifest"
                else:  # unchanged (a copy moved its time), or restored byte for byte
                    con.execute(
                        "update raw._loads set storage = 'file', file_bytes = ?, "
                        "file_mtime = ? where table_name = ? and load_id = ? and "
                        "source_file = ?",
                        [st.st_size, int(st.st_mtime), *key],
                    )
                    if storage == "quarantined":
                        lake.release(lf)
                    continue
            if storage == "quarantined":
                continue
            con.execute(
                "update raw._loads set storage = 'quarantined' where table_name = ? and "
                "load_id = ? and source_file = ?",
                key,
            )
            lake.quarantine(lf, f"after its load: {reason}; its records left raw.{table}")
            if on_quarantine:
                on_quarantine(lf, reason)

    def _load_file(
        self,
        con: duckdb.DuckDBPyConnection,
        lake: Lake,
        extract: Extract,
        lf: LandedFile,
        loaded_at: datetime,
        tmp: Path,
        on_file: FileProgress | None,
        ahead: ScanAhead,
    ) -> tuple[int, int]:
        where = f"{lf.file} (lake: {lf.path})"
        with landed_file_errors(lf):
            return self._load_landed_file(
                con, lake, extract, lf, loaded_at, tmp, on_file, ahead, where
            )

    def _load_landed_file(
        self,
        con: duckdb.DuckDBPyConnection,
        lake: Lake,
        extract: Extract,
        lf: LandedFile,
        loaded_at: datetime,
        tmp: Path,
        on_file: FileProgress | None,
        ahead: ScanAhead,
        where: str,
    ) -> tuple[int, int]:
        stored, stat = check_local_file(lake, lf)  # the lake on this machine: what landed?
        with nullcontext(stored) if stored is not None else lake.local_copy(lf) as path:
            header = read_header(path, extract, where)
            read = file_read(extract, lf, path, header.fields, header.positions, loaded_at)
            scanned = ahead.take(lf, read)
            if scanned is ScanAhead.NOT_SCANNED:
                scanned = scan_file(read)
            if scanned is not None:
                records, bad_json, lines = scanned
                bad = insert_malformed_json(con, bad_json)
                counts = records, bad
                # DuckDB read the file as Python would, and no malformed record of it
                # spans lines: its other lines (header, blank, quoted line breaks) are
                # every line that starts no record.
                other_lines = lines - records
                storage = "file" if stored is not None else "table"
                if storage == "table":  # a remote lake: keep the records, not the file
                    con.execute(f"insert into {rows_table(extract)} {read.good_sql()}")
            else:
                storage = "table"
                tally = LineTally()
                counts = self._split_with_python(
                    con, extract, lf, path, loaded_at, tmp, where, on_file, tally
                )
                lines, other_lines = count_lines(path), tally.other
        records, malformed = counts
        con.execute(
            LOADS_INSERT,
            [
                extract.table,
                lf.load_id,
                lf.file,
                lf.path,
                lf.sha256,
                records,
                malformed,
                loaded_at,
                storage,
                read.path if storage == "file" else None,
                ",".join(map(str, header.positions)),
                len(header.fields),
                lines,
                other_lines,
                stat.st_size if storage == "file" and stat else None,
                int(stat.st_mtime) if storage == "file" and stat else None,
            ],
        )
        if on_file:
            on_file(lf, records)
        pause_for_tests("loading")
        return records, malformed

    def _split_with_python(
        self,
        con: duckdb.DuckDBPyConnection,
        extract: Extract,
        lf: LandedFile,
        path: Path,
        loaded_at: datetime,
        tmp: Path,
        where: str,
        on_file: FileProgress | None,
        tally: LineTally | None = None,
    ) -> tuple[int, int]:
        """Split ``path`` with :mod:`loader.records` into ``raw._<table>_rows`` and
        ``raw.malformed_records``; return (records, malformed)."""
        norm = tmp / f"{extract.table}-{lf.load_id}.csv"
        malformed = write_normalized(
            path,
            extract,
            norm,
            where=where,
            progress=(lambda n: on_file(lf, n)) if on_file else None,
            tally=tally,
        )
        cols = extract.column_names
        columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in cols) + ", '_r': 'BIGINT'}"
        select = ", ".join(_q(c) for c in cols)
        # DuckDB refuses a record over max_line_size bytes (2,000,000 by default); no
        # record is longer than the file, and a larger limit allocates nothing.
        max_line = max(2_000_000, norm.stat().st_size + 1)
        try:
            good = con.execute(
                f"insert into {rows_table(extract)} ({select}, {LINEAGE}) "
                f"select {select}, ?, _r, ?, ?, ? from read_csv(?, header = false, "
                f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                f"new_line = '\\n', strict_mode = true, max_line_size = {max_line}, "
                f"columns = {columns})",
                [lf.file, lf.load_id, loaded_at, lf.path, str(norm)],
            ).fetchone()[0]
        except duckdb.Error as e:
            raise BadLandedFile(lf, f"DuckDB cannot read its records: {e}") from e
        norm.unlink()
        if malformed:
            insert_malformed_json(
                con,
                json.dumps(
                    [
                        dict(
                            zip(
                                MALFORMED_NAMES,
                                (
                                    extract.table,
                                    lf.file,
                                    m.row,
                                    lf.load_id,
                                    loaded_at.isoformat(sep=" "),
                                    lf.path,
                                    m.key,
                                    m.text,
                                    m.error,
                                ),
                                strict=True,
                            )
                        )
                        for m in malformed
                    ]
                ),
            )
        return good + len(malformed), len(malformed)

    @staticmethod
    def _files_read_in_place(con: duckdb.DuckDBPyConnection, extract: Extract) -> list[FileRead]:
        rows = con.execute(
            "select file_path, header_width, header_positions, source_file, load_id, "
            "loaded_at, lake_path, file_bytes, file_mtime from raw._loads "
            "where table_name = ? and storage = 'file' order by load_id",
            [extract.table],
        ).fetchall()
        return [
            FileRead(
                extract,
                path,
                width,
                tuple(int(p) for p in positions.split(",")),
                source_file,
                load_id,
                loaded_at,
                lake_path,
                size,
                mtime,
            )
            for (
                path,
                width,
                positions,
                source_file,
                load_id,
                loaded_at,
                lake_path,
                size,
                mtime,
            ) in rows
        ]

    def _create_view(self, con: duckdb.DuckDBPyConnection, extract: Extract) -> None:
        """``raw.<table>``: the rows loaded into its table, and every file read in place."""
        cols = ", ".join(_q(c) for c in extract.column_names)
        parts = [f"select {cols}, {LINEAGE} from {rows_table(extract)}"]
        parts += [read.good_sql() for read in self._files_read_in_place(con, extract)]
        con.execute(
            f"create or replace view raw.{_q(extract.table)} as " + "\nunion all\n".join(parts)
        )

    def reset(self) -> None:
        self.refuse_other_files()
        for p in (self.path, self.path.with_name(self.path.name + ".wal")):
            if p.exists():
                p.unlink()
