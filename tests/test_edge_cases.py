"""Edge cases of CONTRACT.md §1–§2 that generated data does not reach, written by hand and
run through the whole pipeline (bootstrap, `dbt build`), then compared with the oracle.

Each row says what it probes. Where the contract fixes the answer, the test also asserts
the figure itself, so a shared mistake of the models and the oracle would still fail.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from loader.contract import EXTRACTS
from tests import oracle
from tests.sources import write_source
from tests.test_end_to_end import as_tuples, assert_same_rows, rows, run_dbt

pytestmark = pytest.mark.slow

LOAD1 = {
    "customers": [
        ["1", "Ann", "a@x.org", "1 Road"],
        ["007", "Bo", "b@x.org", "2 Road"],  # leading zeros: key 7
        ["+8", "Cy", "c@x.org", "3 Road"],  # a sign: key 8
        ["\t9\t", "Di", "d@x.org", "4 Road"],  # tabs are trimmed: key 9
        ["10", "é" * 100, "e@x.org", "5 Road"],  # 100 characters (200 bytes): valid
        ["11", "é" * 101, "f@x.org", "6 Road"],  # 101 characters: invalid_value
        ["2147483648", "Big", "g@x.org", "7 Road"],  # out of the 32-bit range: invalid_key
        ["-2147483648", "Min", "h@x.org", "8 Road"],  # the smallest INT: valid
        ["0x1F", "Hex", "i@x.org", "9 Road"],  # invalid_key
        ["1_000", "Und", "j@x.org", "10 Road"],  # invalid_key
        ["7", "Bo Two", "b2@x.org", "2 Road"],  # same key as 007, later: wins
        ["", "Nobody", "n@x.org", "11 Road"],  # missing_key
        ["12", "  Spaced  ", "  ", "12 Road\x0b\x0c"],  # trimmed; empty email → NULL
    ],
    "products": [
        ["1", "Widget", "Toys", "1.005"],  # half away from zero: 1.01
        ["2", "Gadget", "Toys", "-1.005"],  # -1.01
        ["3", "Thing", "Toys", "99999999.99"],  # the largest DECIMAL(10,2)
        ["4", "Over", "Toys", "99999999.995"],  # rounds past it: invalid_value
        ["5", "Exp", "Toys", "1e3"],  # invalid_value
        ["6", "Dot", "Toys", "5."],  # invalid_value
        ["7", "Lead", "Toys", ".5"],  # invalid_value
        ["8", "Zeros", "Toys", "00000000012.50"],  # leading zeros do not count: 12.50
        ["9", "Int", "Toys", "169"],  # no point: 169.00
    ],
    "stores": [["1", "Springfield", "Ned", "9-5"]],
    "agents": [["1", "Terry", "Billing", "Day"], ["2", "Al", "Billing", "Night"]],
    "online_transactions": [
        ["1", "7", "1", "2025-01-20 22:34:31", "Card", "10.00", "Completed"],
        ["2", "8", "9", "2025-01-20T05:04:59.123456", "Card", "20.00", "Pending"],
        ["3", "9", "3", "2025-01-26 23:59:59.5", "Card", "30.00", "Failed"],
        ["4", "1", "1", "2025-02-30 10:00:00", "Card", "1.00", "Completed"],  # no 30 Feb
        ["5", "1", "1", "2025-02-03", "Card", "1.00", "Completed"],  # a date: invalid
        ["6", "1", "1", "2025-02-03 24:00:00", "Card", "1.00", "Completed"],  # invalid
        ["7", "", "", "", "", "", ""],  # NULL keys and values: kept
        ["8", "99", "1", "2025-02-03 10:00:00", "Card", "1.00", "Completed"],  # parent: load 2
        ["9", "1", "1", "2025-02-03 10:00:00", "Card", "7.5", "A" * 21],  # invalid_value
        ["10", "1", "1", "2025-02-04 10:00:00", "Card", "1000", "Completed"],
        ["08", "1", "1", "2025-02-05 10:00:00", "Card", "2.00", "Completed"],  # 8 again
    ],
    "instore_transactions": [
        ["1", "7", "1", "2025-01-21 08:00:00", "5.00", "Cash"],
        ["2", "7", "", "2025-01-22 09:00:00", "6.00", "Cash"],  # no store: left out of AOV
        ["3", "10", "1", "", "7.00", "Cash"],  # no time: left out of peak_times
        '4,7,1,"2025-01-23 10:00:00,8.00,Cash',  # a stray quote: costs this line only
        ["5", "10", "1", "2025-01-24 11:00:00", "9.00", "Cash"],  # read, not swallowed
    ],
    "customer_service_interactions": [
        ["1", "1", "2025-02-01 10:00:00", "1", "Other", "Resolved"],
        ["2", "1", "2025-02-01 11:00:00", "1", "Other", "resolved"],  # not 'Resolved'
        ["3", "1", "2025-02-01 12:00:00", "", "Other", "Resolved"],  # no agent
        ["4", "7", "2025-02-01 13:00:00", "2", "Other", ""],  # NULL status: unresolved
    ],
    "loyalty_accounts": [
        ["1", "7", "100", "Gold", "2020-01-01"],
        ["2", "7", "50", "Platinum", "2021-02-29"],  # not a date: invalid_value
        ["3", "1", "10", "gold", "2022-01-01"],  # not a tier: ignored for tier_level
        ["4", "8", "5", "Silver", "2022-01-01"],
        ["5", "8", "", "Bronze", "2022-01-01"],  # NULL points
    ],
    "loyalty_transactions": [
        ["1", "2025-01-01 10:00:00", "5", "Purchase"],
        ["1", "2025-01-01T10:00:00.000", "6", "Promotion"],  # the same key, later: wins
        ["1", "2025-01-01 10:00:0x", "7", "Purchase"],  # invalid_key
        ["", "2025-01-02 10:00:00", "8", "Purchase"],  # missing_key
        ["3", "", "9", "Purchase"],  # missing_key (part of the key)
        ["42", "2025-01-03 10:00:00", "1", "Purchase"],  # orphan
    ],
}

# A second load: updates to old keys, a new key, and a parent for an old orphan.
LOAD2 = {e.table: [] for e in EXTRACTS} | {  # header-only files but for these
    "customers": [["99", "Late", "l@x.org", "99 Road"], ["1", "Ann New", "a2@x.org", "1 Road"]],
    "online_transactions": [["10", "1", "1", "2025-03-01 10:00:00", "Card", "5.00", "Completed"]],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("edge")
    sources = [write_source(work / "load1", LOAD1), write_source(work / "load2", LOAD2)]
    db, lake = work / "c360.duckdb", work / "lake"
    for src in sources:
        args = ["bootstrap", "--source", str(src), "--lake", str(lake), "--duckdb", str(db)]
        assert main([*args, "--quiet"]) == 0
    p = run_dbt(["build"], db, work)
    assert p.returncode == 0, p.stdout[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    yield con, oracle.compute(sources)
    con.close()


@pytest.mark.parametrize("table", [e.table for e in EXTRACTS])
def test_silver_matches_the_oracle(built, table):
    con, expected = built
    cols = list(oracle.SILVER_COLUMNS[table])
    assert_same_rows(
        rows(con, f"silver.{table}", cols), as_tuples(expected.silver[table], cols), table
    )


def test_rejections_match_the_oracle(built):
    con, expected = built
    actual = Counter(
        con.execute(
            "select source_table, reason, source_row, coalesce(record_key, '') "
            "from audit.rejected_rows"
        ).fetchall()
    )
    want = Counter(
        (r["source_table"], r["reason"], r["source_row"], r["record_key"] or "")
        for r in expected.rejected
    )
    assert actual == want


@pytest.mark.parametrize("relation", list(oracle.GOLD_COLUMNS))
def test_gold_matches_the_oracle(built, relation):
    con, expected = built
    cols = list(oracle.GOLD_COLUMNS[relation])
    assert_same_rows(
        rows(con, f"gold.{relation}", cols), as_tuples(expected.gold[relation], cols), relation
    )


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_the_contracts_own_figures(built):
    """The figures the contract fixes, asserted literally."""
    con, _ = built
    assert q(
        con,
        "select customer_id, name, email from silver.customers "
        "where customer_id in (1, 7, 8, 9, 12, -2147483648, 99) order by 1",
    ) == [
        (-2147483648, "Min", "h@x.org"),
        (1, "Ann New", "a2@x.org"),
        (7, "Bo Two", "b2@x.org"),
        (8, "Cy", "c@x.org"),
        (9, "Di", "d@x.org"),
        (12, "Spaced", None),
        (99, "Late", "l@x.org"),
    ]
    assert q(con, "select product_id, price from silver.products order by 1") == [
        (1, Decimal("1.01")),
        (2, Decimal("-1.01")),
        (3, Decimal("99999999.99")),
        (8, Decimal("12.50")),
        (9, Decimal("169.00")),
    ]
    reasons = dict(
        ((t, r), n)
        for t, r, n in q(
            con, "select source_table, reason, count(*) from audit.rejected_rows group by all"
        )
    )
    assert reasons[("Customers", "invalid_key")] == 3
    assert reasons[("Customers", "invalid_value")] == 1
    assert reasons[("Customers", "missing_key")] == 1
    assert reasons[("Customers", "duplicate_superseded")] == 2  # 007 by 7; Ann by Ann New
    assert reasons[("Products", "invalid_value")] == 4
    assert reasons[("LoyaltyTransactions", "missing_key")] == 2
    # CONTRACT.md section 2: the stray quote of record 4 costs its line, not record 5.
    assert q(
        con,
        "select source_row, record_key from audit.rejected_rows "
        "where source_table = 'InStoreTransactions' and reason = 'malformed_line'",
    ) == [(4, "4")]
    assert q(con, "select transaction_id from silver.instore_transactions order by 1") == [
        (1,),
        (2,),
        (3,),
        (5,),
    ]
    assert q(
        con, "select ordered_at from silver.online_transactions where order_id in (2, 3) order by 1"
    ) == [
        (dt.datetime(2025, 1, 20, 5, 4, 59, 123456),),
        (dt.datetime(2025, 1, 26, 23, 59, 59, 500000),),
    ]
    # Order 8's customer 99 arrives in load 2, so in load 1 order 8 is no orphan; its later
    # twin 08 (the same key) wins. Order 10 of load 2 supersedes order 10 of load 1.
    assert q(
        con,
        "select order_id, amount from silver.online_transactions "
        "where order_id in (8, 10) order by 1",
    ) == [(8, Decimal("2.00")), (10, Decimal("5.00"))]
    assert q(con, "select points_change, reason from silver.loyalty_transactions") == [
        (6, "Promotion")
    ]
    assert q(
        con,
        "select agent_id, total_interactions, resolved_interactions "
        "from gold.agent_performance order by 1",
    ) == [(1, 2, 1), (2, 1, 0)]
    assert q(
        con,
        "select customer_id, tier_level, segment from gold.customer_segments "
        "where customer_id in (1, 7, 8) order by 1",
    ) == [(1, None, "Regular"), (7, "Gold", "One-Time Buyer"), (8, "Silver", "One-Time Buyer")]
    assert q(
        con,
        "select day_name, day_of_week, hour, total_transactions from gold.peak_times "
        "where channel = 'Online' order by day_of_week, hour",
    ) == [
        ("Monday", 1, 5, 1),
        ("Monday", 1, 22, 1),
        ("Wednesday", 3, 10, 1),
        ("Saturday", 6, 10, 1),
        ("Sunday", 7, 23, 1),
    ]


def test_the_accounting_test_counts_physical_lines(built, tmp_path):
    """The accounting test also adds up physical lines (issue 15, case 6): a ledger whose
    line counts do not add up (a line swallowed, not counted as a record or another line)
    fails it, although every record still has its fate."""
    con, _ = built
    assert q(
        con,
        "select physical_lines, other_lines, records from raw._loads "
        "where source_file = 'InStoreTransactions.csv' order by load_id",
    ) == [(6, 1, 5), (1, 1, 0)]  # load 1: a header and 5 records; load 2: a header only
    (db,) = [r[0] for r in q(con, "select file from pragma_database_list") if r[0]]
    copy = tmp_path / Path(db).name  # the same catalog name, which the views carry
    copy.write_bytes(Path(db).read_bytes())
    tampered = duckdb.connect(str(copy))
    tampered.execute(
        "update raw._loads set other_lines = other_lines - 1 "
        "where source_file = 'InStoreTransactions.csv' and records = 5"
    )
    tampered.close()
    p = run_dbt(["test", "--select", "assert_every_record_accounted_for"], copy, tmp_path)
    assert p.returncode == 1, p.stdout[-3000:]
    assert "Got 1 result, configured to fail if != 0" in p.stdout, p.stdout[-3000:]
