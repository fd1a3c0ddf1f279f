"""The loader: source validation, landing, and the raw load (issue 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from loader.contract import EXTRACTS
from loader.lake import LOCK, LocalLake
from loader.warehouse import DuckDBWarehouse
from tests.sources import VALID_ROW, headers_of, write_source

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    return {
        "lake": tmp_path / "lake",
        "db": tmp_path / "wh" / "c360.duckdb",
        "src": tmp_path / "src",
    }


def bootstrap(env: dict[str, Path], source: Path | None = None) -> int:
    return main(
        [
            "bootstrap",
            "--source",
            str(source or env["src"]),
            "--lake",
            str(env["lake"]),
            "--duckdb",
            str(env["db"]),
            "--quiet",
        ]
    )


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def raw_counts(db: Path) -> dict[str, int]:
    return {e.table: query(db, f"select count(*) from raw.{e.table}")[0][0] for e in EXTRACTS}


def lake_files(lake: Path) -> list[str]:
    """The lake's files, its lock (``_lock``, which holds no data) left out."""
    return sorted(
        str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file() and p.name != LOCK
    )


# --- validation -----------------------------------------------------------------------------


def test_missing_file_is_refused_by_name_and_nothing_changes(env, capsys):
    write_source(env["src"])
    assert bootstrap(env) == 0
    before_lake, before_raw = lake_files(env["lake"]), raw_counts(env["db"])

    bad = write_source(
        env["src"].parent / "bad",
        skip=["LoyaltyAccounts.csv"],
        rows={"customers": [["2", "B", "b@x", "addr"]]},
    )
    capsys.readouterr()
    assert bootstrap(env, bad) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: LoyaltyAccounts.csv: required file is missing from {bad}"
    assert lake_files(env["lake"]) == before_lake
    assert raw_counts(env["db"]) == before_raw


def test_missing_column_is_refused_naming_file_and_column(env, capsys):
    hdr = [h for h in headers_of("online_transactions") if h != "Amount"]
    write_source(
        env["src"],
        headers={"online_transactions": hdr},
        rows={"online_transactions": [["1", "1", "1", "2025-01-01 00:00:00", "Cash", "Completed"]]},
    )
    assert bootstrap(env) == 2
    err = capsys.readouterr().err
    assert "OnlineTransactions.csv: required column 'Amount' is missing from the header" in err
    assert not env["lake"].exists()
    assert not env["db"].exists()


def test_refusal_has_no_traceback_unless_asked(env):
    write_source(env["src"], skip=["Agents.csv"])
    cmd = [
        sys.executable,
        "-m",
        "loader",
        "bootstrap",
        "--source",
        str(env["src"]),
        "--lake",
        str(env["lake"]),
        "--duckdb",
        str(env["db"]),
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        f"error: Agents.csv: required file is missing from {env['src']}"
    ]
    p = subprocess.run(cmd + ["--debug"], capture_output=True, text=True, cwd=REPO)
    assert p.returncode != 0 and "Traceback" in p.stderr


def test_empty_file_and_duplicate_header_are_refused(env, capsys):
    write_source(env["src"])
    (env["src"] / "Stores.csv").write_text("")
    assert bootstrap(env) == 2
    assert "Stores.csv: the file is empty" in capsys.readouterr().err
    write_source(
        env["src"], headers={"stores": ["StoreID", "Location", "location", "Manager", "OpenHours"]}
    )
    assert bootstrap(env) == 2
    assert "Stores.csv: column 'location' appears twice" in capsys.readouterr().err


def test_headers_match_in_any_order_and_case_and_extra_columns_are_ignored(env, capsys):
    write_source(
        env["src"],
        headers={
            "customers": [
                " email ",
                "ADDRESS",
                "customerid",
                "Name",
                'x"; drop table raw.customers; --',
            ]
        },
        rows={"customers": [["a@x.org", "1 Road", "7", "Ann", "ignored"]]},
    )
    assert bootstrap(env) == 0
    assert 'x"; drop table raw.customers; --' in capsys.readouterr().err
    assert query(env["db"], "select customer_id, name, email, address from raw.customers") == [
        ("7", "Ann", "a@x.org", "1 Road")
    ]


def test_not_utf8_is_refused_naming_the_file(env, capsys):
    write_source(env["src"])
    p = env["src"] / "Products.csv"
    p.write_bytes(p.read_bytes() + b"2,Caf\xe9,Food,1.00\n")
    assert bootstrap(env) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Products.csv: not UTF-8 text")


# --- records --------------------------------------------------------------------------------


def test_quoting_bom_crlf_and_malformed_records(env):
    rows = {
        "customers": [
            ["1", "Ann, Jr.", 'says "hi"', "line one\nline two"],  # record 1 spans 2 lines
            "2,Bob,b@x.org",  # record 2: 3 fields
            ["3", "  Cy  ", "", "addr"],  # record 3: kept as read
            '4,"Dee,d@x.org,addr',  # record 4: an unclosed quote costs this line only
            ["5", "Eve", "e@x.org", "addr"],  # record 5: read, not swallowed by record 4
        ]
    }
    write_source(env["src"], rows=rows, newline="\r\n")
    p = env["src"] / "Customers.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert bootstrap(env) == 0
    good = query(
        env["db"],
        "select _source_row, customer_id, name, email, address "
        "from raw.customers order by _source_row",
    )
    assert good == [
        (1, "1", "Ann, Jr.", 'says "hi"', "line one\nline two"),
        (3, "3", "  Cy  ", None, "addr"),
        (5, "5", "Eve", "e@x.org", "addr"),
    ]
    bad = query(
        env["db"],
        "select _source_row, record_key, record_text, error "
        "from raw.malformed_records where _table = 'customers' "
        "order by _source_row",
    )
    assert [(r[0], r[1], r[2]) for r in bad] == [
        (2, "2", "2,Bob,b@x.org\r\n"),
        (4, "4", '4,"Dee,d@x.org,addr\r\n'),
    ]
    assert bad[0][3] == "3 fields where the header has 4"
    assert bad[1][3] == (
        "broken quoting: unexpected end of data (the record would span 2 lines; only its "
        "first line is rejected, and reading resumes at the next)"
    )
    # 7 physical lines: 5 records, the header and record 1's second line.
    ledger = query(
        env["db"],
        "select records, malformed, physical_lines, other_lines "
        "from raw._loads where table_name = 'customers'",
    )
    assert ledger == [(5, 2, 7, 2)]


def test_a_stray_quote_in_the_sample_costs_one_line_not_the_orders_after_it(env):
    """Issue 15, case 6: `,"PayPal,` in order 50 of the sample's OnlineTransactions.csv
    opened a quoted field that ran 42 lines, up to the next quote, and the 41 orders in
    them vanished. CONTRACT.md section 2: only that line is lost. The oracle reads the
    same records."""
    import shutil

    from tests import oracle

    shutil.copytree(REPO / "data" / "sample", env["src"])
    p = env["src"] / "OnlineTransactions.csv"
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    (at,) = [i for i, line in enumerate(lines) if line.startswith("50,")]
    assert lines[at] == "50,29,14,2025-03-25 18:18:59,Gift Card,359.85,Completed\n"
    lines[at] = lines[at].replace(",Gift Card,", ',"PayPal,')
    p.write_text("".join(lines), encoding="utf-8")
    assert bootstrap(env) == 0

    bad = query(
        env["db"],
        "select _source_row, record_key, record_text from raw.malformed_records "
        "where _table = 'online_transactions' order by 1",
    )
    assert [r[0] for r in bad] == [19, 51, 115]  # 19 and 115 were malformed already
    assert bad[1][1:] == ("50", '50,29,14,2025-03-25 18:18:59,"PayPal,359.85,Completed\n')
    # Every other record is read as from the sample itself: record 51 (order 50) alone
    # is missing, and the 41 records the quote ran over (up to order 89) are there.
    sample = {**env, "db": env["db"].with_name("sample.duckdb"), "lake": env["lake"] / "s"}
    assert bootstrap(sample, REPO / "data" / "sample") == 0
    rows_sql = (
        "select * exclude (_load_id, _loaded_at, _lake_path) from raw.online_transactions "
        "order by _source_row"
    )
    expected = [r for r in query(sample["db"], rows_sql) if r[-1] != 51]
    got = query(env["db"], rows_sql)
    assert got == expected and len(got) == 206 - 3
    orders = [r[0] for r in got]
    assert orders[orders.index("49") + 1 : orders.index("49") + 13] == [
        str(i) for i in range(51, 63)
    ]
    assert query(
        env["db"],
        "select records, malformed, physical_lines, other_lines from raw._loads "
        "where table_name = 'online_transactions'",
    ) == [(206, 3, 207, 1)]

    read = oracle.read_file(p, next(e for e in EXTRACTS if e.file == p.name), 0)
    assert [r["source_row"] for r in read.malformed] == [19, 51, 115]
    assert [r["record_key"] for r in read.malformed] == ["18", "50", "112"]
    assert [r.values["order_id"] for r in read.records] == [
        o.strip() if o and o.strip() else None for o in orders
    ]


def test_malformed_record_keeps_its_key_when_it_has_one(env):
    write_source(
        env["src"],
        rows={
            "loyalty_transactions": [
                "9,2025-01-01 10:00:00,5,Promotion,extra",
                ["1", "2025-01-13 20:04:21", "1", "x"],
            ]
        },
    )
    assert bootstrap(env) == 0
    assert query(env["db"], "select _source_row, record_key from raw.malformed_records") == [
        (1, "9|2025-01-01 10:00:00")
    ]


def test_blank_lines_are_not_records(env):
    write_source(
        env["src"], rows={"agents": [VALID_ROW["agents"], "", ["2", "Bo", "Billing", "Morning"]]}
    )
    assert bootstrap(env) == 0
    assert query(env["db"], "select _source_row, agent_id from raw.agents order by 1") == [
        (1, "1"),
        (2, "2"),
    ]


# --- landing and loading --------------------------------------------------------------------


def test_same_bytes_again_is_a_no_op_and_a_change_is_a_new_load(env):
    write_source(env["src"])
    assert bootstrap(env) == 0
    first = lake_files(env["lake"])
    assert len(first) == 18  # nine files and nine manifests
    assert bootstrap(env) == 0
    assert lake_files(env["lake"]) == first
    assert raw_counts(env["db"]) == {e.table: 1 for e in EXTRACTS}

    # Same bytes from another folder: still a no-op. A changed file: one new load.
    other = write_source(
        env["src"].parent / "other", rows={"products": [["2", "Gadget", "Toys", "1.00"]]}
    )
    assert bootstrap(env, other) == 0
    added = sorted(set(lake_files(env["lake"])) - set(first))
    assert len(added) == 2 and all(a.startswith("products/") for a in added)
    counts = raw_counts(env["db"])
    assert counts.pop("products") == 2 and set(counts.values()) == {1}


def test_lineage_values(env):
    write_source(
        env["src"],
        rows={
            "online_transactions": [
                VALID_ROW["online_transactions"],
                VALID_ROW["online_transactions"],
            ]
        },
    )
    before = datetime.now(UTC).replace(tzinfo=None)
    assert bootstrap(env) == 0
    rows = query(
        env["db"],
        "select _source_file, _source_row, _load_id, _loaded_at, _lake_path "
        "from raw.online_transactions order by _source_row",
    )
    (load_dir,) = (env["lake"] / "online_transactions").iterdir()
    assert [r[:3] for r in rows] == [
        ("OnlineTransactions.csv", 1, load_dir.name),
        ("OnlineTransactions.csv", 2, load_dir.name),
    ]
    assert all(r[4] == f"online_transactions/{load_dir.name}/OnlineTransactions.csv" for r in rows)
    assert all(
        before - timedelta(seconds=1) <= r[3] <= datetime.now(UTC).replace(tzinfo=None)
        for r in rows
    )
    # The landed file is byte for byte the source file.
    landed = env["lake"] / rows[0][4]
    assert landed.read_bytes() == (env["src"] / "OnlineTransactions.csv").read_bytes()


def test_raw_load_is_all_or_nothing(env):
    write_source(env["src"])
    assert bootstrap(env) == 0
    write_source(env["src"], rows={e.table: [VALID_ROW[e.table]] * 3 for e in EXTRACTS})
    before = raw_counts(env["db"])
    # Land the new files, then fail after loading two of the nine.
    from loader.bootstrap import land_source, validate_source

    lake = LocalLake(env["lake"])
    land_source(validate_source(env["src"]), lake)
    wh = DuckDBWarehouse(env["db"])
    with pytest.raises(Exception, match="simulated failure"):
        wh.sync(lake, fail_after=2)
    assert raw_counts(env["db"]) == before
    assert query(env["db"], "select count(*) from raw._loads")[0][0] == 9
    # The next sync loads what the failed one could not.
    wh.sync(lake)
    assert raw_counts(env["db"]) == {e.table: 4 for e in EXTRACTS}


def test_a_sync_lists_the_lake_once(env, monkeypatch):
    """The files a sync loads (and scans ahead) come from one listing of the lake, one
    call a table: on Azure every listing is a request."""
    write_source(env["src"])
    from loader.bootstrap import land_source, validate_source

    lake = LocalLake(env["lake"])
    land_source(validate_source(env["src"]), lake)
    listed = []
    landed = lake.landed
    monkeypatch.setattr(lake, "landed", lambda table: listed.append(table) or landed(table))
    loads = DuckDBWarehouse(env["db"]).sync(lake)
    assert sorted(listed) == sorted(e.table for e in EXTRACTS)
    assert [tl.files for tl in loads] == [1] * len(EXTRACTS)


def test_reset_starts_over(env, capsys):
    write_source(env["src"])
    assert bootstrap(env) == 0
    args = ["reset", "--lake", str(env["lake"]), "--duckdb", str(env["db"])]
    assert main(args) == 2  # asks for --yes
    assert env["db"].exists()
    assert main(args + ["--yes"]) == 0
    # The lake keeps its lock file only (a waiting run may hold it open).
    assert not env["db"].exists() and lake_files(env["lake"]) == []
    assert [p.name for p in env["lake"].iterdir()] == ["_lock"]


def test_every_command_has_a_manual():
    for cmd in ("bootstrap", "generate", "reset", "where", "status", "verify"):
        p = subprocess.run(
            [sys.executable, "-m", "loader", cmd, "--help"],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "100"},
        )
        assert p.returncode == 0 and len(p.stdout.splitlines()) > 6, cmd
    p = subprocess.run(
        [sys.executable, "-m", "loader", "bootstrap", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    for word in ("C360_LAKE", "C360_DUCKDB_PATH", "malformed", "--source"):
        assert word in p.stdout


# --- the two ways a file is read ------------------------------------------------------------

TRICKY = {
    "customers": [
        ["1", "Ann, Jr.", 'says "hi"', "line one\r\nline two"],
        ["2", "  Bo  ", "", "\t"],
        "",
        ["3", "Cy", "c@x.org", 'a "quoted" word'],
        ["04", "Dee", "d@x.org", "x" * 300],
        "5,Eve,e@x.org,addr,",  # a trailing comma: 5 fields
        "6,Fay,f@x.org,addr,,",  # 6 fields
        "7,Gus",  # 2 fields
        '8,"Hal, Jr.",h@x.org',  # 3 fields, one quoted
        "   ",  # 1 field
        ["9", "Ivy", "", ""],  # empty last fields: 4 fields, valid
    ],
    "agents": ["1,Terry,Billing,Day,"],
    "stores": ["10,Jo,j,a,b,c,d,e,f,g,h,i,j,k,l,m", ["11", "Kent", "Lu", "9-5"]],  # > PAD fields
    # A malformed record over two lines (its quotes balanced, so DuckDB reads it whole):
    # it costs its first line; the second is read as a record of its own.
    "products": ['1,"Widget\nDeluxe",Toys,9.99,extra', ["2", "Gadget", "Toys", "1.00"]],
}


def ledger_lines(db: Path) -> list[tuple]:
    return query(
        db,
        "select table_name, records, malformed, physical_lines, other_lines "
        "from raw._loads order by 1",
    )


def malformed_rows(db: Path) -> list[tuple]:
    return query(
        db,
        "select _table, _source_file, _source_row, _load_id, _lake_path, "
        "record_key, error from raw.malformed_records order by 1, 3",
    )


def raw_rows(db: Path, table: str) -> list[tuple]:
    return query(db, f"select * exclude (_loaded_at) from raw.{table} order by _source_row")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_duckdb_and_python_read_the_same_records(tmp_path, monkeypatch, newline):
    src = write_source(tmp_path / "src", rows=TRICKY, newline=newline)
    p = src / "Customers.csv"
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    fast = tmp_path / "fast.duckdb"
    lake = LocalLake(tmp_path / "lake")
    from loader.bootstrap import land_source, validate_source

    land_source(validate_source(src), lake)
    DuckDBWarehouse(fast).sync(lake)
    storage = dict(query(fast, "select table_name, storage from raw._loads"))
    # The stores file has a record wider than DuckDB pads: Python splits it. The products
    # file has a malformed record spanning two lines, which DuckDB would read whole.
    assert storage.pop("stores") == "table"
    assert storage.pop("products") == "table"
    assert set(storage.values()) == {"file"}

    monkeypatch.setattr("loader.warehouse.fast_path_allowed", lambda path: False)
    slow = tmp_path / "slow.duckdb"
    DuckDBWarehouse(slow).sync(lake)
    assert query(slow, "select distinct storage from raw._loads") == [("table",)]
    for e in EXTRACTS:
        assert raw_rows(fast, e.table) == raw_rows(slow, e.table), e.table
    assert malformed_rows(fast) == malformed_rows(slow)
    # The line counts agree too (DuckDB's are the lines that start no record; Python's
    # are counted as it splits), and every file adds up: records + other = physical.
    assert ledger_lines(fast) == ledger_lines(slow)
    lines = {r[0]: r[1:] for r in ledger_lines(fast)}
    assert all(records + other == physical for records, _, physical, other in lines.values())
    # customers: a header, 10 records, one blank line, one quoted line break.
    assert lines["customers"] == (10, 5, 13, 3)
    assert lines["products"] == (3, 1, 4, 1)
    assert [r[:4] for r in raw_rows(fast, "products")] == [
        ('Deluxe"', "Toys", "9.99", "extra"),
        ("2", "Gadget", "Toys", "1.00"),
    ]
    assert [r[:2] for r in raw_rows(fast, "customers")] == [
        ("1", "Ann, Jr."),
        ("2", "  Bo  "),
        ("3", "Cy"),
        ("04", "Dee"),
        ("9", "Ivy"),
    ]
    assert [r[5] for r in raw_rows(fast, "customers")] == [1, 2, 3, 4, 10]
    assert [(r[0], r[2], r[5], r[6]) for r in malformed_rows(fast)] == [
        ("agents", 1, "1", "5 fields where the header has 4"),
        ("customers", 5, "5", "5 fields where the header has 4"),
        ("customers", 6, "6", "6 fields where the header has 4"),
        ("customers", 7, "7", "2 fields where the header has 4"),
        ("customers", 8, "8", "3 fields where the header has 4"),
        ("customers", 9, "", "1 fields where the header has 4"),
        (
            "products",
            1,
            "1",
            "5 fields where the header has 4 (the record would span 2 lines; only its "
            "first line is rejected, and reading resumes at the next)",
        ),
        ("stores", 1, "10", "16 fields where the header has 4"),
    ]


def test_white_space_touching_a_quote_is_read_as_rfc_4180_says(env):
    # DuckDB would read `, "b"` as b; RFC 4180 and Python's csv keep ` "b"` as text,
    # and `"b" ,` is broken quoting. Such files take the Python path.
    write_source(
        env["src"], rows={"stores": ['1, "Springfield",Ned,9-5', '2,"Shelbyville" ,Bob,9-5']}
    )
    assert bootstrap(env) == 0
    assert query(env["db"], "select storage from raw._loads where table_name = 'stores'") == [
        ("table",)
    ]
    assert query(env["db"], "select store_id, location from raw.stores") == [
        ("1", ' "Springfield"')
    ]
    assert query(env["db"], "select _source_row from raw.malformed_records") == [(2,)]


def test_files_are_read_in_place_unless_their_quoting_is_broken(env):
    write_source(
        env["src"],
        rows={
            "agents": ["1,Terry,Billing", ["2", "Al", "Billing", "Day"]],
            "stores": ['1,"Springfield"x,Ned,9-5', ["2", "Shelbyville", "Bob", "9-5"]],
            "products": [["1", "Widget", "Toys", "9.99"], '2,"Gadget,Toys,1.00'],
        },
    )
    assert bootstrap(env) == 0
    storage = dict(query(env["db"], "select table_name, storage from raw._loads"))
    assert storage.pop("stores") == "table"  # a quote inside a quoted field: DuckDB refuses
    assert storage.pop("products") == "table"  # a quote left open: an odd number of quotes
    assert set(storage.values()) == {"file"}
    assert query(env["db"], "select agent_id, _source_row from raw.agents") == [("2", 2)]
    assert query(
        env["db"],
        "select _table, _source_row, record_key, record_text from raw.malformed_records order by 1",
    ) == [
        ("agents", 1, "1", "1,Terry,Billing"),
        ("products", 2, None, '2,"Gadget,Toys,1.00\n'),
        ("stores", 1, None, '1,"Springfield"x,Ned,9-5\n'),
    ]


@pytest.mark.parametrize(
    ("data", "allowed"),
    [
        (b'A,B\n1,"b"\n', True),
        (b'A,B\n1,"a ""b"" c"\n', True),  # a doubled quote inside quoted text
        (b'A,B\n1,ab "c"\n', True),  # a quote inside an unquoted field: literal for both
        (b'A,B\n1, "b"\n', False),
        (b'A,B\n1,\t"b"\n', False),
        (b'A,B\n1,"b" \n', False),
        (b'A,B\n1,"b"\t,2\n', False),
        (b'A,B\n "1",b\n', False),
        (b"\nA,B\n1,2\n", False),
        (b"\xef\xbb\xbf\r\nA,B\n", False),
        (b'A,B\n1,"b\n', False),  # an odd number of quotes: one is left open
        (b'A,B\n1,"Sale, ""Spring"""\n', True),  # `, "` inside quoted text
        (b'A,B\n1,"a "" b"\n', True),  # `" ` of a doubled quote
        (b'A,B\n"a, ""b""", "c"\n', False),  # after quoted text, white space then a quote
        (b'A,B\n"x ""y"" z" ,1\n', False),  # a closing quote, then white space
        (b"", False),
    ],
)
@pytest.mark.parametrize("walk_limit", [0, 1_000_000], ids=["pair-search", "quote-walk"])
def test_fast_path_check(tmp_path, monkeypatch, data, allowed, walk_limit):
    # both ways of finding white space at a quote: every case, the same answer
    from loader.records import fast_path_allowed

    monkeypatch.setattr("loader.records.QUOTE_WALK_LIMIT", walk_limit)
    p = tmp_path / "f.csv"
    p.write_bytes(data)
    assert fast_path_allowed(p) is allowed
