"""The contract's edge cases through the compiled T-SQL, as SQL Server would compute them.

The edge-case source of test_edge_cases.py, plus the rows whose figures depend on the
server's collation and text types (text outside code page 1252, 100 × 'é', emoji, a
lower-case 'gold' tier and 'resolved' status, a decimal of more than 38 digits), is loaded
and built on DuckDB: that build matches the contract (test_edge_cases.py and the oracle
prove it). Then every model, compiled for ``--target sqlserver`` (and ``fabric``), runs in
dependency order on the same raw rows through tests/tsql_emulator.py, which gives the
compiled T-SQL the semantics of the server: a case-insensitive database collation (SQL
Server's and Synapse's default) or a binary one, T-SQL's LEN, LIKE, text types and
decimal conversion. Every silver, audit and gold row must equal the DuckDB build's, and
the figures that used to differ are asserted literally.

What this proves: the models' SQL gives the contract's figures under T-SQL's text and
number semantics listed in tsql_emulator.py. What it does not: that a server accepts the
statements (test_tsql_compile.py), or any other difference between the engines.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from tests import tsql_emulator
from tests.sources import write_source
from tests.test_edge_cases import LOAD1
from tests.test_end_to_end import assert_same_rows, run_dbt
from tests.test_tsql_compile import dbt_offline

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

EMOJI = "\U0001f600"
TEXT_ROWS = {
    "customers": [
        ["20", "Łukasz Żółć", "l@x.org", "20 Road"],  # outside code page 1252
        ["21", "张伟", "z@x.org", "21 Road"],
        ["22", EMOJI * 100, "e@x.org", "22 Road"],  # 100 characters, 200 UTF-16 units: valid
        ["23", EMOJI * 101, "f@x.org", "23 Road"],  # 101 characters: invalid_value
        ["24", "é" * 100, "é" * 100, "é" * 255],  # each at its length: valid
        ["25", "Gail", "g@x.org", "25 Road"],  # no order; her only tier is 'gold'
    ],
    "loyalty_accounts": [["25", "25", "10", "gold", "2022-01-01"]],  # not a tier: Regular
    "products": [
        ["20", "Long", "Toys", "1.2345678901234567890123456789012345678901234"],  # 1.23
        ["21", "Zeros", "Toys", "0" * 40 + "12.345"],  # 12.35
        ["22", "Neg", "Toys", "-" + "9" * 8 + "." + "4" * 40],  # -99999999.44
    ],
}
SOURCE = LOAD1 | {t: LOAD1[t] + rows for t, rows in TEXT_ROWS.items()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory):
    """The edge cases built on DuckDB: the raw rows both builds read, and the result."""
    work = tmp_path_factory.mktemp("tsql-semantics")
    source = write_source(work / "source", SOURCE)
    db = work / "c360.duckdb"
    args = ["bootstrap", "--source", str(source), "--lake", str(work / "lake"), "--duckdb", str(db)]
    assert main([*args, "--quiet"]) == 0
    p = run_dbt(["build"], db, work)
    assert p.returncode == 0, p.stdout[-4000:]
    con = duckdb.connect(str(db), read_only=True)
    yield work, con
    con.close()


def compiled_models(target: str, out: Path) -> list[dict]:
    """Every model compiled for ``target`` (full build), in dependency order."""
    dbt_offline(
        target,
        out,
        [
            "--vars",
            "{offline_compile: true}",
            "--select",
            "resource_type:model resource_type:seed",
            "--quiet",
        ],
    )
    nodes = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    models = {uid: n for uid, n in nodes.items() if n["resource_type"] == "model"}
    ordered, done = [], set()

    def visit(uid: str) -> None:
        if uid in done or uid not in models:
            return
        done.add(uid)
        for dep in models[uid]["depends_on"]["nodes"]:
            visit(dep)
        ordered.append(models[uid])

    for uid in sorted(models):
        visit(uid)
    return ordered


def emulate(
    reference_con, models: list[dict], *, ci: bool, utf8: bool
) -> duckdb.DuckDBPyConnection:
    """A DuckDB database ``customer360`` with the reference's raw rows, where every model
    runs as its compiled T-SQL would on the server (tsql_emulator)."""
    con = duckdb.connect()
    tsql_emulator.register(con)
    con.execute("attach ':memory:' as customer360")
    con.execute("use customer360")
    if ci:
        con.execute("set default_collation = 'nocase'")
    for schema in ("raw", "silver", "gold", "audit", "dbo"):
        con.execute(f"create schema if not exists {schema}")
    raw = reference_con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw'"
    ).fetchall()
    for (name,) in raw:
        result = reference_con.execute(f'select * from raw."{name}"')
        columns = [d[0] for d in result.description]
        data = result.fetchall()
        types = reference_con.execute(
            "select data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = ? order by ordinal_position",
            [name],
        ).fetchall()
        spec = ", ".join(f'"{c}" {t}' for c, (t,) in zip(columns, types, strict=True))
        con.execute(f'create table raw."{name}" ({spec})')
        if data:
            marks = ", ".join("?" * len(columns))
            con.executemany(f'insert into raw."{name}" values ({marks})', data)
    with (REPO / "seeds" / "tier_levels.csv").open(encoding="utf-8") as f:
        tiers = [(r["tier_level"], int(r["tier_rank"])) for r in csv.DictReader(f)]
    con.execute("create table dbo.tier_levels (tier_level varchar, tier_rank integer)")
    con.executemany("insert into dbo.tier_levels values (?, ?)", tiers)
    for node in models:
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        sql = tsql_emulator.to_duckdb(node["compiled_code"], ci=ci, utf8=utf8)
        try:
            con.execute(f"create table {relation} as {sql}")
        except duckdb.Error as e:
            raise AssertionError(f"{node['name']}: {e}\n{sql[:3000]}") from e
    return con


def public_columns(con, relation: str) -> list[str]:
    schema, name = relation.split(".")
    cols = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    return [c for (c,) in cols if not c.startswith("_")]


RELATIONS = [
    "silver.customers",
    "silver.products",
    "silver.customer_service_interactions",
    "silver.loyalty_accounts",
    "silver.online_transactions",
    "audit.rejected_rows",
    "gold.agent_performance",
    "gold.customer_segments",
    "gold.customer_360",
    "gold.average_order_value",
    "gold.peak_times",
]

# target, database collation case-insensitive, text is UTF-8 varchar
ENGINES = [
    ("sqlserver", True, False),
    ("sqlserver", False, False),
    ("fabric", False, True),  # Fabric's default collation, Latin1_General_100_BIN2_UTF8
    ("fabric", True, True),  # its other one, Latin1_General_100_CI_AS_KS_WS_SC_UTF8
]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    cache: dict[str, list[dict]] = {}

    def get(target: str) -> list[dict]:
        if target not in cache:
            cache[target] = compiled_models(target, tmp_path_factory.mktemp(f"tsql-{target}"))
        return cache[target]

    return get


@pytest.fixture(
    scope="module",
    params=ENGINES,
    ids=[f"{t}-{'ci' if ci else 'bin'}" for t, ci, _ in ENGINES],
)
def server(request, reference, compiled):
    """The edge cases built by the compiled T-SQL of one target, under one collation."""
    target, ci, utf8 = request.param
    con = emulate(reference[1], compiled(target), ci=ci, utf8=utf8)
    yield con
    con.close()


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@pytest.mark.parametrize("relation", RELATIONS)
def test_every_row_equals_the_duckdb_build(reference, server, relation):
    ref = reference[1]
    cols = public_columns(ref, relation)
    select = f"select {', '.join(cols)} from {relation}"
    assert_same_rows(q(server, select), q(ref, select), relation)


def test_text_is_compared_exactly(server):
    """Finding 6: 'resolved' is not 'Resolved', and 'gold' is no tier, whatever the
    database's collation."""
    assert q(
        server,
        "select agent_id, total_interactions, resolved_interactions, resolution_rate "
        "from gold.agent_performance order by 1",
    ) == [(1, 2, 1, Decimal("0.5")), (2, 1, 0, Decimal("0"))]
    assert q(
        server,
        "select customer_id, tier_level, segment from gold.customer_segments "
        "where customer_id in (1, 7, 8, 25) order by 1",
    ) == [
        (1, None, "High-Value"),
        (7, "Gold", "One-Time Buyer"),
        (8, "Silver", "One-Time Buyer"),
        (25, None, "Regular"),
    ]
    assert q(
        server,
        "select customer_id, loyalty_tier, unresolved_interactions, segment "
        "from gold.customer_360 where customer_id in (1, 25) order by 1",
    ) == [(1, None, 1, "High-Value"), (25, None, 0, "Regular")]


def test_text_keeps_every_character_and_counts_characters(server):
    """Finding 7: text outside code page 1252 is kept; lengths are characters (100 × 'é'
    and 100 emoji are valid, 101 of either is not)."""
    assert q(
        server,
        "select customer_id, name from silver.customers "
        "where customer_id between 20 and 24 order by 1",
    ) == [(20, "Łukasz Żółć"), (21, "张伟"), (22, EMOJI * 100), (24, "é" * 100)]
    assert q(server, "select email, address from silver.customers where customer_id = 24") == [
        ("é" * 100, "é" * 255)
    ]
    assert q(
        server,
        "select record_key, reason from audit.rejected_rows "
        "where source_table = 'Customers' and record_key in ('11', '23') order by 1",
    ) == [("11", "invalid_value"), ("23", "invalid_value")]


def test_decimals_of_any_length_are_rounded(server):
    """Finding 10: a decimal text of more than 38 digits is valid and rounded half away
    from zero, as the contract says."""
    assert q(
        server, "select product_id, price from silver.products where product_id >= 20 order by 1"
    ) == [(20, Decimal("1.23")), (21, Decimal("12.35")), (22, Decimal("-99999999.44"))]


def test_the_emulator_has_tsql_semantics():
    """The emulator's functions give the server's answers for the cases the models meet."""
    assert tsql_emulator.tsql_len(EMOJI * 3, characters=False) == 6
    assert tsql_emulator.tsql_len(EMOJI * 3 + "  ", characters=True) == 3
    assert tsql_emulator.tsql_text("Łukasz", "varchar", 100, utf8=False) == "?ukasz"
    assert tsql_emulator.tsql_text("张伟", "varchar", 100, utf8=False) == "??"
    assert tsql_emulator.tsql_text("é" * 100, "varchar", 100, utf8=True) == "é" * 50
    assert tsql_emulator.tsql_text(EMOJI * 100, "nvarchar", 100, utf8=False) == EMOJI * 50
    assert tsql_emulator.tsql_decimal("1." + "2" * 40, 10, 2) is None  # > 38 digits
    assert tsql_emulator.tsql_decimal("-1.005", 10, 2) == Decimal("-1.01")
    assert tsql_emulator.tsql_decimal("99999999.995", 10, 2) is None
    assert tsql_emulator.tsql_like("abc", "%[^0-9]%", case_sensitive=True)
    assert not tsql_emulator.tsql_like("123", "%[^0-9]%", case_sensitive=True)
    assert tsql_emulator.tsql_like("RESOLVED", "resolved", case_sensitive=False)
    assert not tsql_emulator.tsql_like("RESOLVED", "resolved", case_sensitive=True)
    assert tsql_emulator.tsql_patindex("%[^0]%", "0012x", case_sensitive=True) == 3
    con = duckdb.connect()
    tsql_emulator.register(con)
    con.execute("set default_collation = 'nocase'")
    ci = "select count(*) from (select 'resolved' as s) where s = 'Resolved'"
    binary = ci.replace("where s", "where s collate Latin1_General_100_BIN2")
    assert con.execute(tsql_emulator.to_duckdb(ci, ci=True)).fetchone() == (1,)
    assert con.execute(tsql_emulator.to_duckdb(binary, ci=True)).fetchone() == (0,)
