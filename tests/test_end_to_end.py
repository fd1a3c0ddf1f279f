"""End to end: generate two loads, bootstrap, `dbt build`, and compare every silver row,
every rejection and every gold row with the independent Python oracle (tests/oracle.py).

The second load is generated with another seed over the same key ranges, so it carries
updates to keys of the first (last wins across loads), new keys and its own dirt.
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from loader.contract import EXTRACTS, REJECTION_REASONS
from loader.generate import generate_source
from tests import oracle

REPO = Path(__file__).resolve().parents[1]
DBT = str(REPO / ".venv" / "bin" / "dbt")

pytestmark = pytest.mark.slow


def run_dbt(args: list[str], db: Path, work: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "C360_DUCKDB_PATH": str(db), "DBT_PROFILES_DIR": str(REPO)}
    env.pop("DBT_TARGET", None)
    return subprocess.run(
        [DBT, *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("e2e")
    sources = [
        generate_source(work / "load1", scale=1, seed=7) and work / "load1",
        generate_source(work / "load2", scale=0.5, seed=8) and work / "load2",
    ]
    db, lake = work / "c360.duckdb", work / "lake"
    for src in sources:
        assert (
            main(
                [
                    "bootstrap",
                    "--source",
                    str(src),
                    "--lake",
                    str(lake),
                    "--duckdb",
                    str(db),
                    "--quiet",
                ]
            )
            == 0
        )
    p = run_dbt(["build"], db, work)
    assert p.returncode == 0, p.stdout[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    yield con, oracle.compute(sources), p.stdout
    con.close()


def rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    return con.execute(f"select {', '.join(columns)} from {relation}").fetchall()


def as_tuples(dicts: list[dict], columns: list[str]) -> list[tuple]:
    return [tuple(d[c] for c in columns) for d in dicts]


def close(a: object, b: object) -> bool:
    if isinstance(a, (Decimal, float)) and isinstance(b, (Decimal, float)):
        return abs(Decimal(str(a)) - Decimal(str(b))) <= Decimal("0.0001")
    return a == b


def assert_same_rows(actual: list[tuple], expected: list[tuple], what: str) -> None:
    assert len(actual) == len(expected), f"{what}: {len(actual)} rows, expected {len(expected)}"
    key = lambda r: tuple((x is None, str(x)) for x in r)  # noqa: E731
    for a, e in zip(sorted(actual, key=key), sorted(expected, key=key), strict=True):
        assert all(close(x, y) for x, y in zip(a, e, strict=True)), f"{what}: {a} != {e}"


@pytest.mark.parametrize("table", [e.table for e in EXTRACTS])
def test_silver_tables_match_the_oracle(built, table):
    con, expected, _ = built
    cols = list(oracle.SILVER_COLUMNS[table])
    assert_same_rows(
        rows(con, f"silver.{table}", cols),
        as_tuples(expected.silver[table], cols),
        f"silver.{table}",
    )


@pytest.mark.parametrize("table", [e.table for e in EXTRACTS])
def test_silver_lineage_is_the_record_it_came_from(built, table):
    """Each silver row's file, load and record number are those of the record that won
    (the file's name and load time joined from the ledger by `_load_id`), and its load
    time is its raw record's."""
    con, expected, _ = built
    loads = [
        r[0] for r in con.execute("select distinct load_id from raw._loads order by 1").fetchall()
    ]
    actual = sorted(
        (f, loads.index(load), row)
        for f, load, row in con.execute(
            f"select _source_file, _load_id, _source_row from silver.{table}"
        ).fetchall()
    )
    want = sorted(
        (x["source_file"], x["load_index"], x["source_row"]) for x in expected.lineage[table]
    )
    assert actual == want
    rows_, raw_rows, mismatched = con.execute(
        "select count(*), count(r._source_row), count(*) filter ("
        "where s._loaded_at is distinct from r._loaded_at "
        "or s._source_file is distinct from r._source_file) "
        f"from silver.{table} as s left join raw.{table} as r using (_load_id, _source_row)"
    ).fetchone()
    assert rows_ == raw_rows == len(want) and mismatched == 0


def test_rejected_rows_match_the_oracle(built):
    con, expected, _ = built
    loads = [
        r[0] for r in con.execute("select distinct load_id from raw._loads order by 1").fetchall()
    ]
    actual = Counter(
        (t, reason, f, row, loads.index(load))
        for t, reason, f, row, load in con.execute(
            "select source_table, reason, source_file, source_row, _load_id "
            "from audit.rejected_rows"
        ).fetchall()
    )
    want = Counter(
        (r["source_table"], r["reason"], r["source_file"], r["source_row"], r["load_index"])
        for r in expected.rejected
    )
    assert actual == want
    # Every reason appears in this data, so every rule was exercised.
    assert {k[1] for k in actual} == set(REJECTION_REASONS)


def test_rejected_record_keys_match_the_oracle(built):
    con, expected, _ = built
    actual = Counter(
        con.execute(
            "select source_table, source_row, coalesce(record_key, '') "
            "from audit.rejected_rows where reason <> 'malformed_line'"
        ).fetchall()
    )
    want = Counter(
        (r["source_table"], r["source_row"], r["record_key"] or "")
        for r in expected.rejected
        if r["reason"] != "malformed_line"
    )
    assert actual == want


def test_every_record_has_exactly_one_fate(built):
    con, expected, _ = built
    for e in EXTRACTS:
        records = con.execute(
            "select sum(records) from raw._loads where table_name = ?", [e.table]
        ).fetchone()[0]
        silver = con.execute(f"select count(*) from silver.{e.table}").fetchone()[0]
        rejected = con.execute(
            "select count(*) from audit.rejected_rows where source_table = ?", [e.source_table]
        ).fetchone()[0]
        assert records == silver + rejected, e.table
        assert records == sum(n for (_, f), n in expected.records.items() if f == e.file)


@pytest.mark.parametrize("relation", list(oracle.GOLD_COLUMNS))
def test_gold_relations_match_the_oracle(built, relation):
    con, expected, _ = built
    cols = list(oracle.GOLD_COLUMNS[relation])
    assert_same_rows(
        rows(con, f"gold.{relation}", cols),
        as_tuples(expected.gold[relation], cols),
        f"gold.{relation}",
    )


def test_gold_has_figures_worth_checking(built):
    """Guards against a comparison of empty relations passing vacuously."""
    con, _, _ = built
    counts = dict(
        con.execute(
            "select segment, count(*) from gold.customer_segments group by segment"
        ).fetchall()
    )
    assert set(counts) == {"High-Value", "One-Time Buyer", "Loyalty Champion", "Regular"}
    assert con.execute("select count(distinct channel) from gold.peak_times").fetchone()[0] == 2
    assert con.execute("select count(*) from gold.agent_performance").fetchone()[0] > 10
