"""The loader's Azure warehouse path (issue 5, part 4), verified at statement level.

No SQL Server or Synapse runs here: a recording DB-API connection logs every statement
and its parameters, and the tests assert the exact sequence a real server would receive,
that a failure part-way rolls back (never commits), and that no text read from a file is
ever inside a SQL string.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from loader.bootstrap import land_source, validate_source
from loader.cli import main
from loader.contract import EXTRACTS
from loader.errors import LoaderError
from loader.lake import LocalLake
from loader.tsql_warehouse import (
    FIELD_LIMIT,
    ConnectionSettings,
    TsqlWarehouse,
    access_token_attrs,
    fit,
    https_url,
    lake_https_url,
    schema_statements,
    utf16_len,
)
from tests.sources import VALID_ROW, write_source

LOAD_ID = "20250301T101500123456Z"
EVIL = "Zq'; drop table raw._loads; --"  # a marker that must never reach a SQL string
ACCOUNT = "https://c360acct.blob.core.windows.net/lake"


class DbError(Exception):
    """What a DB-API driver raises."""


class Recorder:
    """A DB-API connection that records (kind, sql, params) and answers the ledger query."""

    def __init__(
        self,
        ledger: list[tuple[str, str, str]] | None = None,
        fail_on: str | None = None,
        rowcount: int = -1,
    ) -> None:
        self.log: list[tuple[str, str | None, Any]] = []
        self.ledger = ledger or []
        self.fail_on = fail_on
        self.rowcount = rowcount

    def __call__(self, settings: ConnectionSettings) -> Recorder:
        self.log.append(("connect", settings.engine, None))
        return self

    def cursor(self) -> RecordingCursor:
        return RecordingCursor(self)

    def close(self) -> None:
        self.log.append(("close", None, None))

    def commit(self) -> None:  # never called: transactions are explicit statements
        self.log.append(("commit()", None, None))

    def rollback(self) -> None:
        self.log.append(("rollback()", None, None))

    def statements(self) -> list[str]:
        return [sql for kind, sql, _ in self.log if kind in ("execute", "executemany")]

    def seen(self, kind: str, sql: str, params: Any) -> None:
        """A statement the server accepted (:class:`Simulated` keeps its effect)."""


class Simulated(Recorder):
    """A recording connection that also keeps what SQL Server would hold: the number of
    committed rows per (table, load id, file) and the committed ledger. A statement takes
    effect at ``commit transaction``, and is dropped at a rollback or when the connection
    closes with the transaction open."""

    def __init__(self, rows: dict[tuple[str, str, str], int] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.rows: dict[tuple[str, str, str], int] = dict(rows or {})
        self._open: list[tuple[str, str, Any]] | None = None

    def seen(self, kind: str, sql: str, params: Any) -> None:
        if sql == "begin transaction":
            self._open = []
        elif sql == "commit transaction":
            for kind_, sql_, params_ in self._open or []:
                self._apply(kind_, sql_, params_)
            self._open = None
        elif "rollback" in sql:
            self._open = None
        elif self._open is not None:
            self._open.append((kind, sql, params))

    def close(self) -> None:
        self._open = None
        super().close()

    def _apply(self, kind: str, sql: str, params: Any) -> None:
        table = sql.split("raw.[", 1)[1].split("]", 1)[0] if "raw.[" in sql else ""
        if sql.startswith("delete from raw.[malformed_records]"):
            t, load_id, file = params
            self.rows.pop((f"malformed_records/{t}", load_id, file), None)
        elif sql.startswith("delete from"):
            load_id, file = params
            self.rows.pop((table, load_id, file), None)
        elif table == "_loads":
            self.ledger.append(tuple(params[:3]))
        elif table == "malformed_records":
            for r in params:
                key = (f"malformed_records/{r[0]}", r[3], r[1])
                self.rows[key] = self.rows.get(key, 0) + 1
        elif sql.startswith("insert into"):
            for r in params:
                key = (table, r[-3], r[-5])
                self.rows[key] = self.rows.get(key, 0) + 1


class RecordingCursor:
    def __init__(self, con: Recorder) -> None:
        self.con = con
        self.rowcount = -1
        self._rows: list[tuple] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "fast_executemany":
            self.con.log.append(("fast_executemany", None, value))
        object.__setattr__(self, name, value)

    def _maybe_fail(self, sql: str) -> None:
        if self.con.fail_on and self.con.fail_on in sql:
            raise DbError("[42000] simulated refusal")

    def execute(self, sql: str, params: Any = None) -> RecordingCursor:
        self.con.log.append(("execute", sql, list(params) if params is not None else None))
        self._maybe_fail(sql)
        self.con.seen("execute", sql, list(params) if params is not None else None)
        self._rows = list(self.con.ledger) if "from raw._loads" in sql else []
        self.rowcount = self.con.rowcount
        return self

    def executemany(self, sql: str, seq: Any) -> None:
        rows = [tuple(r) for r in seq]
        self.con.log.append(("executemany", sql, rows))
        self._maybe_fail(sql)
        self.con.seen("executemany", sql, rows)

    def fetchall(self) -> list[tuple]:
        return self._rows


def settings(engine: str = "sqlserver", **kw: Any) -> ConnectionSettings:
    base: dict[str, Any] = {
        "engine": engine,
        "host": "c360.database.windows.net",
        "database": "customer360",
        "user": "loader",
        "password": "pw",
    }
    base.update(kw)
    return ConnectionSettings(**base)


@pytest.fixture
def lake(tmp_path: Path) -> LocalLake:
    """A lake holding the nine files; customers has a quoted comma, a malformed line and
    the marker in a field and in the malformed line."""
    src = write_source(
        tmp_path / "src",
        rows={
            "customers": [
                ["1", "Ada, Countess", "ada@example.org", EVIL],
                f"2,{EVIL},broken",
                ["3", "", "c@example.org", " 3 Elm St "],
            ]
        },
    )
    lk = LocalLake(tmp_path / "lake")
    land_source(validate_source(src), lk, load_id=LOAD_ID)
    return lk


def url_for(lake: Any, path: str) -> str:
    return https_url(ACCOUNT, "c360/", path)


def loaded_at_of(rec: Recorder) -> datetime:
    for kind, sql, params in rec.log:
        if kind == "execute" and sql and sql.startswith("insert into raw.[_loads]"):
            return params[7]
    raise AssertionError("no ledger insert")


def ledger_params(
    table: str, file: str, records: int, bad: int, lk: LocalLake, at: datetime
) -> list[Any]:
    """The ledger row of a file of the ``lake`` fixture: its physical lines are the
    header and one line a record, so it has one other line (the header)."""
    lf = lk.landed(table)[0]
    path = f"{table}/{LOAD_ID}/{file}"
    return [table, LOAD_ID, file, path, lf.sha256, records, bad, at, records + 1, 1]


INSERT_LOADS = (
    "insert into raw.[_loads] ([table_name], [load_id], [source_file], [lake_path], "
    "[sha256], [records], [malformed], [loaded_at], [physical_lines], [other_lines]) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def file_begins(table: str, file: str) -> list[tuple[str, str | None, Any]]:
    """A file's transaction opens, then drops whatever an earlier failed attempt left."""
    return [
        ("execute", "begin transaction", None),
        (
            "execute",
            f"delete from raw.[{table}] where [_load_id] = ? and [_source_file] = ?",
            [LOAD_ID, file],
        ),
        (
            "execute",
            "delete from raw.[malformed_records] where [_table] = ? and [_load_id] = ? "
            "and [_source_file] = ?",
            [table, LOAD_ID, file],
        ),
    ]


INSERT_MALFORMED = (
    "insert into raw.[malformed_records] ([_table], [_source_file], [_source_row], [_load_id], "
    "[_loaded_at], [_lake_path], [record_key], [record_text], [error]) "
    "values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# --- SQL Server: client-side bulk copy ---------------------------------------------------


def test_sqlserver_sends_exactly_these_statements(lake):
    rec = Recorder()
    results = TsqlWarehouse(settings("sqlserver"), connect=rec).sync(lake)
    at = loaded_at_of(rec)
    assert at.tzinfo is None and abs(datetime.now(UTC).replace(tzinfo=None) - at) < timedelta(
        minutes=1
    )

    expected: list[tuple[str, str | None, Any]] = [
        ("connect", "sqlserver", None),
        ("execute", "set xact_abort on", None),
    ]
    expected += [("execute", s, None) for s in schema_statements("sqlserver")]
    expected += [
        ("execute", "select table_name, load_id, source_file from raw._loads", None),
    ]
    lineage = "[_source_file], [_source_row], [_load_id], [_loaded_at], [_lake_path]"
    for e in EXTRACTS:
        cols = ", ".join(f"[{c}]" for c in e.column_names)
        marks = ", ".join("?" for _ in range(len(e.columns) + 5))
        path = f"{e.table}/{LOAD_ID}/{e.file}"
        expected += file_begins(e.table, e.file)
        if e.table == "customers":
            rows = [
                ("1", "Ada, Countess", "ada@example.org", EVIL, e.file, 1, LOAD_ID, at, path),
                (("3", None, "c@example.org", " 3 Elm St ", e.file, 3, LOAD_ID, at, path)),
            ]
        else:
            rows = [(*VALID_ROW[e.table], e.file, 1, LOAD_ID, at, path)]
        expected += [
            ("fast_executemany", None, True),
            (
                "executemany",
                f"insert into raw.[{e.table}] ({cols}, {lineage}) values ({marks})",
                rows,
            ),
        ]
        if e.table == "customers":
            expected.append(
                (
                    "executemany",
                    INSERT_MALFORMED,
                    [
                        (
                            "customers",
                            "Customers.csv",
                            2,
                            LOAD_ID,
                            at,
                            path,
                            "2",
                            f"2,{EVIL},broken\n",
                            "3 fields where the header has 4",
                        )
                    ],
                )
            )
        records, bad = (3, 1) if e.table == "customers" else (1, 0)
        expected += [
            ("execute", INSERT_LOADS, ledger_params(e.table, e.file, records, bad, lake, at)),
            ("execute", "commit transaction", None),
        ]
    expected += [("close", None, None)]
    assert rec.log == expected
    assert [(r.table, r.files, r.records, r.malformed) for r in results][:2] == [
        ("customers", 1, 3, 1),
        ("products", 1, 1, 0),
    ]


def test_sqlserver_schema_ddl_is_bounded_tsql():
    ddl = schema_statements("sqlserver")
    assert ddl[:4] == [
        f"if schema_id(N'{s}') is null exec(N'create schema [{s}]')"
        for s in ("raw", "silver", "gold", "audit")
    ]
    assert ddl[4] == (
        "if object_id(N'raw.customers', N'U') is null create table raw.[customers] "
        "([customer_id] nvarchar(4000) null, [name] nvarchar(4000) null, "
        "[email] nvarchar(4000) null, [address] nvarchar(4000) null, "
        "[_source_file] nvarchar(255) null, [_source_row] bigint null, "
        "[_load_id] varchar(32) null, [_loaded_at] datetime2(6) null, "
        "[_lake_path] nvarchar(1024) null)"
    )
    assert ddl[-2].endswith("primary key (table_name, load_id, source_file))")
    assert "[physical_lines] bigint null, [other_lines] bigint null" in ddl[-2]
    # A ledger of an earlier version gains the line counts.
    assert ddl[-1] == (
        "if not exists (select 1 from sys.columns where object_id = object_id(N'raw._loads') "
        "and name = N'physical_lines') alter table raw.[_loads] "
        "add [physical_lines] bigint null, [other_lines] bigint null"
    )
    for engine in ("sqlserver", "synapse"):
        assert not any("max)" in s.lower() for s in schema_statements(engine))


def test_sqlserver_chunks_the_rows(tmp_path):
    src = write_source(
        tmp_path / "src",
        rows={"agents": [[str(i), f"Agent {i}", "Billing", "Day"] for i in range(1, 6)]},
    )
    lk = LocalLake(tmp_path / "lake")
    land_source(validate_source(src), lk, load_id=LOAD_ID)
    rec = Recorder()
    TsqlWarehouse(settings(), connect=rec, chunk_rows=2).sync(lk)
    batches = [
        p
        for kind, sql, p in rec.log
        if kind == "executemany" and sql.startswith("insert into raw.[agents]")
    ]
    assert [[r[0] for r in b] for b in batches] == [["1", "2"], ["3", "4"], ["5"]]
    assert [r[5] for b in batches for r in b] == [1, 2, 3, 4, 5]  # record numbers


def test_files_already_in_the_ledger_are_not_sent_again(lake):
    ledger = [(e.table, LOAD_ID, e.file) for e in EXTRACTS]
    rec = Recorder(ledger=ledger)
    results = TsqlWarehouse(settings(), connect=rec).sync(lake)
    assert rec.statements()[-1] == "select table_name, load_id, source_file from raw._loads"
    assert "begin transaction" not in rec.statements()
    assert sum(r.records for r in results) == 0


@pytest.mark.parametrize(
    "engine,fail_on,file,committed",
    [
        ("sqlserver", "insert into raw.[stores]", "Stores.csv", 2),
        ("sqlserver", "insert into raw.[_loads]", "Customers.csv", 0),
        ("synapse", "copy into raw.[stores]", "Stores.csv", 2),
        ("synapse", "copy into raw.[malformed_records]", "Customers.csv", 0),
    ],
)
def test_a_failure_part_way_rolls_back_that_file_and_stops(lake, engine, fail_on, file, committed):
    rec = Recorder(fail_on=fail_on)
    wh = TsqlWarehouse(settings(engine), connect=rec, url_for=url_for)
    with pytest.raises(
        LoaderError,
        match=rf"{file} \(lake: .*rolled back and left nothing \({committed} file\(s\) loaded "
        r"before it are committed.*simulated refusal",
    ):
        wh.sync(lake)
    stmts = rec.statements()
    failed = next(i for i, s in enumerate(stmts) if fail_on in s)
    assert stmts[failed + 1 :] == ["if @@trancount > 0 rollback transaction"]
    # One transaction a file: the files before it committed, the failing one opened, not.
    assert stmts.count("commit transaction") == committed
    assert stmts.count("begin transaction") == committed + 1
    last_begin = max(i for i, s in enumerate(stmts) if s == "begin transaction")
    assert last_begin < failed
    assert "commit transaction" not in stmts[last_begin:]
    assert rec.log[-1] == ("close", None, None)
    assert ("commit()", None, None) not in rec.log


def test_sqlserver_rerun_after_a_failure_neither_duplicates_nor_loses_rows(lake):
    """Azure SQL governs the log per transaction: each file commits on its own, with its
    ledger row. A failure part-way keeps the committed files; a rerun loads the rest, and
    first deletes whatever rows of a file not in the ledger an earlier attempt left
    (here 5 rows of stores, as a non-atomic load would have left them)."""
    stale = ("stores", LOAD_ID, "Stores.csv")
    sim = Simulated(rows={stale: 5}, fail_on="insert into raw.[agents]")
    with pytest.raises(LoaderError, match=r"Agents.csv .*3 file\(s\) loaded before it"):
        TsqlWarehouse(settings(), connect=sim).sync(lake)
    first = ["customers", "products", "stores"]
    assert sorted(t for t, _, _ in sim.ledger) == sorted(first)
    assert sim.rows == {
        ("customers", LOAD_ID, "Customers.csv"): 2,
        ("malformed_records/customers", LOAD_ID, "Customers.csv"): 1,
        ("products", LOAD_ID, "Products.csv"): 1,
        stale: 1,  # the 5 stale rows deleted, the file's one row loaded once
    }
    sim.fail_on = None
    sim.log.clear()
    results = TsqlWarehouse(settings(), connect=sim).sync(lake)
    assert sorted(sim.ledger) == sorted((e.table, LOAD_ID, e.file) for e in EXTRACTS)
    assert sim.rows == {
        **{(e.table, LOAD_ID, e.file): 1 for e in EXTRACTS},
        ("customers", LOAD_ID, "Customers.csv"): 2,
        ("malformed_records/customers", LOAD_ID, "Customers.csv"): 1,
    }
    assert [r.files for r in results] == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert sim.statements().count("commit transaction") == 6


def test_an_error_before_the_transaction_names_the_server(lake):
    rec = Recorder(fail_on="create table raw.[customers]")
    with pytest.raises(
        LoaderError,
        match="SQL Server database customer360 on c360.database.windows.net:1433.*simulated",
    ):
        TsqlWarehouse(settings(), connect=rec).sync(lake)
    assert "begin transaction" not in rec.statements()


def test_no_file_text_is_ever_inside_sql(lake):
    for engine in ("sqlserver", "synapse"):
        rec = Recorder()
        TsqlWarehouse(settings(engine), connect=rec, url_for=url_for).sync(lake)
        for _kind, sql, _params in rec.log:
            if sql:
                assert "Zq" not in sql and "Ada" not in sql and "Elm" not in sql, sql
    # On SQL Server the marker travels as a parameter.
    rec = Recorder()
    TsqlWarehouse(settings(), connect=rec).sync(lake)
    assert any(EVIL in str(p) for kind, _, p in rec.log if kind == "executemany")


# --- quarantine: a bad landed file does not stop the load ---------------------------------

ROLLBACK = ("execute", "if @@trancount > 0 rollback transaction", None)
BAD = {
    "products": "the file is gone from the lake",
    "stores": "its bytes no longer match the sha256 of its manifest",
}


def spoil(lk: LocalLake) -> None:
    """Delete the landed Products.csv; change a byte of Stores.csv (same size)."""
    (lk.root / "products" / LOAD_ID / "Products.csv").unlink()
    stores = lk.root / "stores" / LOAD_ID / "Stores.csv"
    data = stores.read_bytes()
    stores.write_bytes(data[:-2] + (b"Y" if data[-2:-1] == b"X" else b"X") + data[-1:])


def per_file(log: list[tuple[str, str | None, Any]]) -> list[list[tuple[str, str | None, Any]]]:
    """The log cut at each ``begin transaction``: one segment a file (the last ends with
    the connection's close)."""
    starts = [i for i, entry in enumerate(log) if entry == ("execute", "begin transaction", None)]
    return [log[a:b] for a, b in zip(starts, [*starts[1:], len(log)], strict=True)]


@pytest.mark.parametrize("engine", ["sqlserver", "synapse"])
def test_a_bad_landed_file_is_quarantined_and_every_other_file_loads(
    lake, engine, tmp_path, capsys
):
    spoil(lake)
    # SQL Server: a connection that keeps what the server would; Synapse: a recorder.
    sim = Simulated() if engine == "sqlserver" else Recorder()
    told: list[tuple[str, str]] = []
    results = TsqlWarehouse(settings(engine), connect=sim, url_for=url_for).sync(
        lake, on_quarantine=lambda lf, reason: told.append((lf.path, reason))
    )
    paths = {t: f"{t}/{LOAD_ID}/{t.capitalize()}.csv" for t in BAD}
    assert told == [(paths[t], reason) for t, reason in BAD.items()]
    # In the lake: set aside with the reason, no longer listed as landed.
    for t, reason in BAD.items():
        assert lake.landed(t) == []
        (q,) = lake.quarantined(t)
        assert (q.landed.path, q.reason) == (paths[t], reason)
    # Statements: each bad file's transaction opens, drops what an earlier attempt may
    # have left, and is rolled back before anything of the file is sent; every other
    # file loads and commits with its ledger row.
    at = loaded_at_of(sim)
    segments = per_file(sim.log)
    assert len(segments) == len(EXTRACTS)
    for e, seg in zip(EXTRACTS, segments, strict=True):
        if e.table in BAD:
            assert seg == [*file_begins(e.table, e.file), ROLLBACK]
            continue
        assert seg[:3] == file_begins(e.table, e.file)
        records, bad = (3, 1) if e.table == "customers" else (1, 0)
        ledger = ("execute", INSERT_LOADS, ledger_params(e.table, e.file, records, bad, lake, at))
        if e is EXTRACTS[-1]:
            assert seg.pop() == ("close", None, None)
        assert seg[-2:] == [ledger, ("execute", "commit transaction", None)]
        assert ROLLBACK not in seg
        loaded = "copy into raw" if engine == "synapse" else f"insert into raw.[{e.table}]"
        assert any(sql and sql.startswith(loaded) for _, sql, _ in seg)
    # Every other file's ledger row was sent, none of the two's.
    ledger_rows = [tuple(p[:3]) for _, sql, p in sim.log if sql == INSERT_LOADS]
    assert sorted(ledger_rows) == sorted(
        (e.table, LOAD_ID, e.file) for e in EXTRACTS if e.table not in BAD
    )
    if engine == "sqlserver":  # and that is what the server keeps
        assert sorted(sim.ledger) == sorted(ledger_rows)
        assert {t for t, _, _ in sim.rows} == {e.table for e in EXTRACTS if e.table not in BAD} | {
            "malformed_records/customers"
        }
    else:  # nothing of theirs went to the lake for COPY INTO
        assert not (lake.root / "_normalized" / "products").exists()
        assert not (lake.root / "_normalized" / "stores").exists()
        assert (lake.root / "_normalized" / "agents" / LOAD_ID / "Agents.csv").is_file()
    assert [(r.table, r.files) for r in results] == [
        (e.table, 0 if e.table in BAD else 1) for e in EXTRACTS
    ]
    # A later sync goes on without them: nothing is pending.
    sim.log.clear()
    sim.ledger = ledger_rows
    TsqlWarehouse(settings(engine), connect=sim, url_for=url_for).sync(lake)
    assert "begin transaction" not in sim.statements()
    # python -m loader status names them, with their reasons.
    assert (
        main(["status", "--lake", str(lake.root), "--duckdb", str(tmp_path / "none.duckdb")]) == 0
    )
    out = capsys.readouterr().out
    assert "quarantined (2 files set aside; later loads go on without them)" in out
    for t, reason in BAD.items():
        assert f"  {LOAD_ID}  {paths[t]}  since " in out
        assert f": {reason}\n" in out


def test_on_azure_a_gone_or_changed_blob_is_quarantined_and_every_other_file_loads(
    azurite, tmp_path
):
    """The same with the lake on Azure (Azurite): the download finds the blob gone, or
    its bytes not those of the manifest's sha256."""
    import uuid

    from loader.azure_lake import AzureLake

    url = f"az://t{uuid.uuid4().hex[:16]}/bronze"
    lk = AzureLake.from_url(
        url, environ={"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    )
    land_source(validate_source(write_source(tmp_path / "src")), lk, load_id=LOAD_ID)
    paths = {t: f"{t}/{LOAD_ID}/{t.capitalize()}.csv" for t in BAD}
    lk.container.delete_blob(f"bronze/{paths['products']}")
    data = lk.container.download_blob(f"bronze/{paths['stores']}").readall()
    changed = data[:-2] + (b"Y" if data[-2:-1] == b"X" else b"X") + data[-1:]
    lk.container.upload_blob(f"bronze/{paths['stores']}", changed, overwrite=True)
    sim = Simulated()
    told: list[tuple[str, str]] = []
    TsqlWarehouse(settings(), connect=sim).sync(
        lk, on_quarantine=lambda lf, reason: told.append((lf.path, reason))
    )
    reasons = {
        "products": "the file is gone from the lake",
        "stores": f"bronze/{paths['stores']} in the lake at {url} does not match its "
        "manifest's sha256: the lake was changed outside the loader",
    }
    assert told == [(paths[t], reasons[t]) for t in BAD]
    for t in BAD:
        assert lk.landed(t) == []
        assert [q.reason for q in lk.quarantined(t)] == [reasons[t]]
    for e, seg in zip(EXTRACTS, per_file(sim.log), strict=True):
        if e.table in BAD:
            assert seg == [*file_begins(e.table, e.file), ROLLBACK]
        else:
            assert ("execute", "commit transaction", None) in seg and ROLLBACK not in seg
    assert sorted(sim.ledger) == sorted(
        (e.table, LOAD_ID, e.file) for e in EXTRACTS if e.table not in BAD
    )


def test_bootstrap_on_sql_server_quarantines_says_so_and_a_new_delivery_lands(
    tmp_path, monkeypatch, capsys
):
    """Through the command line: the bootstrap warns of each quarantined file and loads
    the others; the same source delivered again lands the two files anew, and loads them."""
    src = write_source(tmp_path / "src")
    lk = LocalLake(tmp_path / "lake")
    land_source(validate_source(src), lk, load_id=LOAD_ID)
    spoil(lk)
    sim = Simulated()
    monkeypatch.setattr("loader.tsql_warehouse.pyodbc_connect", sim)
    for k, v in {
        "SQLSERVER_HOST": "c360.database.windows.net",
        "SQLSERVER_DATABASE": "customer360",
        "SQLSERVER_USER": "loader",
        "SQLSERVER_PASSWORD": "pw",
    }.items():
        monkeypatch.setenv(k, v)
    args = ["bootstrap", "--source", str(src), "--lake", str(lk.root), "--target", "sqlserver"]
    assert main(args) == 0
    captured = capsys.readouterr()
    for t, reason in BAD.items():
        path = f"{t}/{LOAD_ID}/{t.capitalize()}.csv"
        assert f"warning: {path} quarantined: {reason}; later loads go on" in captured.err
    assert sorted(t for t, _, _ in sim.ledger) == sorted(
        e.table for e in EXTRACTS if e.table not in BAD
    )
    assert main(args) == 0  # the quarantined files are not landed any more: they land again
    assert sorted(t for t, _, _ in sim.ledger) == sorted(e.table for e in EXTRACTS)
    assert {t for t, load_id, _ in sim.ledger if load_id != LOAD_ID} == set(BAD)


# --- Synapse: COPY INTO from normalized files in the lake --------------------------------


def copy_sql(table: str, columns: str, url: str, error_url: str, cred: str) -> str:
    return (
        f"copy into raw.[{table}] ({columns}) from '{url}' with (FILE_TYPE = 'CSV', "
        f"CREDENTIAL = {cred}, FIELDQUOTE = '\"', FIELDTERMINATOR = ',', "
        "ROWTERMINATOR = '0x0A', FIRSTROW = 2, DATEFORMAT = 'ymd', ENCODING = 'UTF8', "
        f"MAXERRORS = 0, ERRORFILE = '{error_url}')"
    )


def test_synapse_copies_normalized_files_from_the_lake(lake):
    rec = Recorder()
    TsqlWarehouse(settings("synapse"), connect=rec, url_for=url_for).sync(lake)
    at = loaded_at_of(rec)
    stamp = at.isoformat(sep=" ", timespec="microseconds")
    mi = "(IDENTITY = 'Managed Identity')"
    lineage = "[_source_file], [_source_row], [_load_id], [_loaded_at], [_lake_path]"

    expected: list[tuple[str, str | None, Any]] = [("connect", "synapse", None)]
    expected += [("execute", s, None) for s in schema_statements("synapse")]
    expected += [
        ("execute", "select table_name, load_id, source_file from raw._loads", None),
    ]
    for e in EXTRACTS:
        cols = ", ".join(f"[{c}]" for c in e.column_names)
        base = f"{ACCOUNT}/c360/_normalized"
        err = f"/c360/_rejected/{e.table}/{LOAD_ID}/"  # relative to the container
        expected += file_begins(e.table, e.file)
        expected.append(
            (
                "execute",
                copy_sql(
                    e.table, f"{cols}, {lineage}", f"{base}/{e.table}/{LOAD_ID}/{e.file}", err, mi
                ),
                None,
            )
        )
        if e.table == "customers":
            expected.append(
                (
                    "execute",
                    copy_sql(
                        "malformed_records",
                        "[_table], [_source_file], [_source_row], [_load_id], "
                        "[_loaded_at], [_lake_path], [record_key], [record_text], [error]",
                        f"{base}/malformed_records/customers/{LOAD_ID}/Customers.csv",
                        err,
                        mi,
                    ),
                    None,
                )
            )
        records, bad = (3, 1) if e.table == "customers" else (1, 0)
        expected += [
            ("execute", INSERT_LOADS, ledger_params(e.table, e.file, records, bad, lake, at)),
            ("execute", "commit transaction", None),
        ]
    expected += [("close", None, None)]
    assert rec.log == expected

    # What COPY reads: a header, then the raw table's columns, quoting as RFC 4180.
    path = f"customers/{LOAD_ID}/Customers.csv"
    norm = lake.root / "_normalized" / "customers" / LOAD_ID / "Customers.csv"
    assert norm.read_text(encoding="utf-8") == (
        "customer_id,name,email,address,_source_file,_source_row,_load_id,_loaded_at,"
        "_lake_path\n"
        f'1,"Ada, Countess",ada@example.org,{EVIL},Customers.csv,1,{LOAD_ID},{stamp},{path}\n'
        f"3,,c@example.org, 3 Elm St ,Customers.csv,3,{LOAD_ID},{stamp},{path}\n"
    )
    bad = lake.root / "_normalized" / "malformed_records" / "customers" / LOAD_ID / "Customers.csv"
    assert bad.read_text(encoding="utf-8") == (
        "_table,_source_file,_source_row,_load_id,_loaded_at,_lake_path,record_key,"
        "record_text,error\n"
        f'customers,Customers.csv,2,{LOAD_ID},{stamp},{path},2,"2,{EVIL},broken\n",'
        "3 fields where the header has 4\n"
    )
    # The landed files themselves are untouched and still the only loads the lake lists.
    assert [lf.path for lf in lake.landed("customers")] == [path]


def test_synapse_with_a_sas_token_and_a_row_count_check(lake):
    rec = Recorder(rowcount=1)  # the server says COPY loaded one row; customers has two
    wh = TsqlWarehouse(
        settings("synapse", copy_credential="sas", copy_sas_token="?sv=1&sig=a'b"),
        connect=rec,
        url_for=url_for,
    )
    with pytest.raises(
        LoaderError, match="COPY INTO raw.customers loaded 1 rows where the file holds 2"
    ):
        wh.sync(lake)
    copy = next(s for s in rec.statements() if s.startswith("copy into"))
    assert "CREDENTIAL = (IDENTITY = 'Shared Access Signature', SECRET = 'sv=1&sig=a''b')" in copy
    # The error file: a folder relative to the container, written with CREDENTIAL (no
    # ERRORFILE_CREDENTIAL); dates read as ymd whatever the session's DATEFORMAT.
    assert f"ERRORFILE = '/c360/_rejected/customers/{LOAD_ID}/')" in copy
    assert "ERRORFILE_CREDENTIAL" not in copy and "DATEFORMAT = 'ymd'" in copy
    assert rec.statements()[-1] == "if @@trancount > 0 rollback transaction"


def test_synapse_needs_an_azure_lake(lake):
    rec = Recorder()
    with pytest.raises(LoaderError, match="COPY INTO from the lake.*az://<container>/<prefix>"):
        TsqlWarehouse(settings("synapse"), connect=rec).sync(lake)
    assert "commit transaction" not in rec.statements()


# --- URLs, values, settings ---------------------------------------------------------------


def test_https_urls_of_the_lake():
    assert https_url(
        "https://acct.blob.core.windows.net/lake?sv=1&sig=x", "c360/", "customers/x/Customers.csv"
    ) == ("https://acct.blob.core.windows.net/lake/c360/customers/x/Customers.csv")
    assert https_url("https://acct.blob.core.windows.net/lake", "", "a b/it's.csv") == (
        "https://acct.blob.core.windows.net/lake/a%20b/it%27s.csv"
    )
    with pytest.raises(LoaderError, match="cannot be read by COPY INTO"):
        https_url("ftp://acct/lake", "", "a.csv")
    azure_like = SimpleNamespace(
        url="az://lake/c360",
        prefix="c360/",
        container=SimpleNamespace(url="https://acct.blob.core.windows.net/lake"),
    )
    assert lake_https_url(azure_like, "_normalized/t/x/F.csv") == (  # type: ignore[arg-type]
        "https://acct.blob.core.windows.net/lake/c360/_normalized/t/x/F.csv"
    )


def test_a_load_id_that_is_not_the_loaders_is_refused(tmp_path):
    src = write_source(tmp_path / "src")
    lk = LocalLake(tmp_path / "lake")
    land_source(validate_source(src), lk, load_id="x'y")
    with pytest.raises(LoaderError, match='load id "x\'y" is not a loader load id'):
        TsqlWarehouse(settings(), connect=Recorder()).sync(lk)


def test_fit_keeps_every_record_s_fate():
    assert fit("") is None and fit(None) is None and fit(" a ") == " a "
    padded = " " * 5000 + "42" + " " * 10
    assert fit(padded) == "42"  # silver trims: the same value
    long = "x" * 5000
    assert fit(long) == "x" * FIELD_LIMIT  # still longer than any declared length
    emoji = "\U0001f600" * 2500  # 5000 UTF-16 code units
    assert utf16_len(emoji) == 5000 and utf16_len(fit(emoji) or "") == FIELD_LIMIT


def test_a_long_malformed_record_is_cut_and_says_so(tmp_path):
    src = write_source(tmp_path / "src", rows={"agents": ["7," + "y" * 5000]})
    lk = LocalLake(tmp_path / "lake")
    land_source(validate_source(src), lk, load_id=LOAD_ID)
    rec = Recorder()
    TsqlWarehouse(settings(), connect=rec).sync(lk)
    (row,) = next(p for kind, sql, p in rec.log if kind == "executemany" and "malformed" in sql)
    assert len(row[7]) == FIELD_LIMIT
    assert row[8] == "2 fields where the header has 4 (record text cut to 4000 of 5003 characters)"


def test_settings_from_the_environment():
    env = {
        "SYNAPSE_HOST": "ws.sql.azuresynapse.net",
        "SYNAPSE_DATABASE": "c360pool",
        "SYNAPSE_AUTHENTICATION": "ActiveDirectoryServicePrincipal",
        "SYNAPSE_USER": "app-id",
        "SYNAPSE_PASSWORD": "s}cret",
    }
    s = ConnectionSettings.from_env("synapse", env)
    assert s.connection_string() == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER={tcp:ws.sql.azuresynapse.net,1433};"
        "DATABASE={c360pool};Encrypt=yes;TrustServerCertificate=no;APP={customer360-loader};"
        "Authentication=ActiveDirectoryServicePrincipal;UID={app-id};PWD={s}}cret}"
    )
    assert "cret" not in s.description
    s = ConnectionSettings.from_env(
        "sqlserver",
        {
            "SQLSERVER_HOST": "h",
            "SQLSERVER_DATABASE": "d",
            "SQLSERVER_PORT": "14330",
            "SQLSERVER_AUTHENTICATION": "ActiveDirectoryMsi",
            "SQLSERVER_TRUST_CERT": "true",
        },
    )
    assert s.connection_string() == (
        "DRIVER={ODBC Driver 18 for SQL Server};SERVER={tcp:h,14330};DATABASE={d};Encrypt=yes;"
        "TrustServerCertificate=yes;APP={customer360-loader}"
    )

    class Cred:
        def get_token(self, scope: str) -> Any:
            assert scope == "https://database.windows.net/.default"
            return SimpleNamespace(token="tok")

    attrs = access_token_attrs(s, lambda key: Cred())
    raw = "tok".encode("utf-16-le")
    assert attrs == {1256: struct.pack("<i", len(raw)) + raw}
    for env, message in [
        ({}, "set SQLSERVER_HOST and SQLSERVER_DATABASE"),
        (
            {"SQLSERVER_HOST": "h", "SQLSERVER_DATABASE": "d"},
            "set SQLSERVER_USER and SQLSERVER_PASSWORD",
        ),
        (
            {"SQLSERVER_HOST": "h", "SQLSERVER_DATABASE": "d", "SQLSERVER_AUTHENTICATION": "x"},
            "expected sql, auto",
        ),
        (
            {"SQLSERVER_HOST": "h", "SQLSERVER_DATABASE": "d", "SQLSERVER_PORT": "x"},
            "expected a port number",
        ),
    ]:
        with pytest.raises(LoaderError, match=message):
            ConnectionSettings.from_env("sqlserver", env)
    with pytest.raises(LoaderError, match="set SYNAPSE_COPY_SAS_TOKEN"):
        ConnectionSettings.from_env(
            "synapse",
            {
                "SYNAPSE_HOST": "h",
                "SYNAPSE_DATABASE": "d",
                "SYNAPSE_AUTHENTICATION": "auto",
                "SYNAPSE_COPY_CREDENTIAL": "sas",
            },
        )


# --- the command line ---------------------------------------------------------------------


def test_bootstrap_target_flag_then_environment(tmp_path, monkeypatch, capsys):
    src = write_source(tmp_path / "src")
    for k in ("SQLSERVER_HOST", "SQLSERVER_DATABASE", "SYNAPSE_HOST", "SYNAPSE_DATABASE"):
        monkeypatch.delenv(k, raising=False)
    args = [
        "bootstrap",
        "--source",
        str(src),
        "--lake",
        str(tmp_path / "lake"),
        "--duckdb",
        str(tmp_path / "wh.duckdb"),
        "--quiet",
    ]
    monkeypatch.setenv("C360_TARGET", "synapse")
    assert main(args) == 2
    assert "--target synapse: set SYNAPSE_HOST and SYNAPSE_DATABASE" in capsys.readouterr().err
    assert main([*args, "--target", "sqlserver"]) == 2
    assert "--target sqlserver: set SQLSERVER_HOST" in capsys.readouterr().err
    monkeypatch.setenv("C360_TARGET", "oracle")
    assert main(args) == 2
    assert "expected one of duckdb, sqlserver, synapse" in capsys.readouterr().err
    assert main([*args, "--target", "duckdb"]) == 0
