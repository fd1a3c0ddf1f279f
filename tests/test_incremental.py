"""Incremental builds (issue 7, part 3): a new load processed alone gives what a full
rebuild of every load gives, row for row.

Load 1 is generated, with a few records planted for the orphan rules; load 2 is a delta
built from it: updates to old keys, new keys, format rejects, fresh orphans, a child whose
parent arrives in the same load, and parents that turn earlier orphans valid (one of
them a loyalty account that was itself an orphan of a customer arriving now, so the
revalidation travels down two levels). Warehouse A builds load 1, then load 2
incrementally; warehouse B builds both loads at once with --full-refresh. Every
classified, silver, audit and gold relation must be equal.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from loader.contract import EXTRACTS
from loader.generate import generate_source
from tests import oracle
from tests.test_end_to_end import run_dbt

pytestmark = pytest.mark.slow

GOLD = list(oracle.GOLD_COLUMNS)
# the builds around the incremental one skip the data tests, which that one runs
NO_TESTS = ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
# A `latest_build:` test's filter within `dbt build` (macros/tests/get_where_subquery.sql):
# the build-time column, the literal as compiled, and its text.
BUILD_TIME_FILTER = re.compile(r"\b(_classified_at|_built_at) >= (cast\('([^']+)' as timestamp\))")


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        records = list(csv.reader(f))
    return records[0], records[1:]


def write(path: Path, header: list[str], records: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([header, *records])


class Extract:
    """One extract file, its columns addressed by contract name (the header's case and
    order vary from file to file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.header, self.records = read(path)
        names = [h.strip().lower() for h in self.header]
        self.at = {name: names.index(name) for name in names}

    def record(self, **values: str) -> list[str]:
        rec = [""] * len(self.header)
        for name, value in values.items():
            rec[self.at[name.replace("_", "")]] = value
        return rec

    def get(self, rec: list[str], name: str) -> str:
        return rec[self.at[name.replace("_", "")]].strip()

    def ids(self, name: str) -> set[int]:
        out = set()
        for rec in self.records:
            text = rec[self.at[name]].strip() if len(rec) == len(self.header) else ""
            if text.isdigit():
                out.add(int(text))
        return out


def make_loads(work: Path) -> tuple[Path, Path]:
    load1, load2 = work / "load1", work / "load2"
    generate_source(load1, scale=2, seed=11)
    load2.mkdir()
    files = {e.table: Extract(load1 / e.file) for e in EXTRACTS}
    top = {
        "customers": max(files["customers"].ids("customerid")),
        "products": max(files["products"].ids("productid")),
        "stores": max(files["stores"].ids("storeid")),
        "agents": max(files["agents"].ids("agentid")),
        "online_transactions": max(files["online_transactions"].ids("orderid")),
        "instore_transactions": max(files["instore_transactions"].ids("transactionid")),
        "customer_service_interactions": max(
            files["customer_service_interactions"].ids("interactionid")
        ),
        "loyalty_accounts": max(files["loyalty_accounts"].ids("loyaltyid")),
    }
    late_customer = top["customers"] + 500  # arrives in load 2
    late_store = top["stores"] + 500
    late_account = top["loyalty_accounts"] + 500  # in load 1, an orphan of late_customer
    order = top["online_transactions"] + 500

    # Load 1: records that only load 2 can turn valid.
    on, ins, la, lt = (
        files[t]
        for t in (
            "online_transactions",
            "instore_transactions",
            "loyalty_accounts",
            "loyalty_transactions",
        )
    )
    at = "2025-02-01 10:00:00"
    on.records += [
        on.record(
            order_id=str(order),
            customer_id=str(late_customer),
            product_id="1",
            date_time=at,
            payment_method="PayPal",
            amount="10.00",
            status="Completed",
        ),
        # order + 1: a valid record, then a later orphan that will supersede it
        on.record(
            order_id=str(order + 1),
            customer_id="1",
            product_id="1",
            date_time=at,
            payment_method="PayPal",
            amount="11.00",
            status="Completed",
        ),
        on.record(
            order_id=str(order + 1),
            customer_id=str(late_customer),
            product_id="1",
            date_time=at,
            payment_method="PayPal",
            amount="12.00",
            status="Completed",
        ),
    ]
    ins.records.append(
        ins.record(
            transaction_id=str(top["instore_transactions"] + 500),
            customer_id="1",
            store_id=str(late_store),
            date_time=at,
            amount="5.00",
            payment_method="Cash",
        )
    )
    la.records.append(
        la.record(
            loyalty_id=str(late_account),
            customer_id=str(late_customer),
            points_earned="700",
            tier_level="Gold",
            join_date="2024-01-01",
        )
    )
    lt.records += [
        lt.record(loyalty_id=str(late_account), date_time=at, points_change="5", reason="Purchase"),
        lt.record(
            loyalty_id=str(late_account),
            date_time="2025-02-02 10:00:00",
            points_change="6",
            reason="Purchase",
        ),
    ]
    # A product, a store and an agent with one transaction each, which load 2 moves to
    # another product, store and agent (and from customer 1 to the late customer): their
    # gold rows must vanish, as a full build leaves them out.
    lonely = {t: top[t] + 600 for t in ("products", "stores", "agents")}
    moved = {
        t: top[t] + 600
        for t in ("online_transactions", "instore_transactions", "customer_service_interactions")
    }
    files["products"].records.append(
        files["products"].record(
            product_id=str(lonely["products"]), name="Lonely", category="Toys", price="1.00"
        )
    )
    files["stores"].records.append(
        files["stores"].record(
            store_id=str(lonely["stores"]),
            location="Lonely",
            manager="M",
            open_hours="9:00 AM - 5:00 PM",
        )
    )
    files["agents"].records.append(
        files["agents"].record(
            agent_id=str(lonely["agents"]), name="Lonely", department="Billing", shift="Morning"
        )
    )
    svc = files["customer_service_interactions"]
    on.records.append(
        on.record(
            order_id=str(moved["online_transactions"]),
            customer_id="1",
            product_id=str(lonely["products"]),
            date_time=at,
            payment_method="PayPal",
            amount="3.00",
            status="Completed",
        )
    )
    ins.records.append(
        ins.record(
            transaction_id=str(moved["instore_transactions"]),
            customer_id="1",
            store_id=str(lonely["stores"]),
            date_time=at,
            amount="4.00",
            payment_method="Cash",
        )
    )
    svc.records.append(
        svc.record(
            interaction_id=str(moved["customer_service_interactions"]),
            customer_id="1",
            date_time=at,
            agent_id=str(lonely["agents"]),
            issue_type="Other",
            resolution_status="Resolved",
        )
    )
    for f in files.values():
        write(f.path, f.header, f.records)

    # Load 2: the delta.
    for e in EXTRACTS:
        f = files[e.table]
        good = [r for r in f.records if len(r) == len(f.header)]
        delta: list[list[str]] = []
        # updates to old keys: the same key, another last column
        for rec in good[3 : len(good) // 10 : 3]:
            changed = list(rec)
            changed[-1] = changed[-1] + " (updated)" if not changed[-1][:1].isdigit() else rec[-1]
            delta.append(changed)
        delta.append(list(delta[0]))  # an old key updated twice in the load
        key = e.primary_key[0].replace("_", "")
        if e.table in top:
            new_key = top[e.table] + 1
            for i, rec in enumerate(good[:5]):
                fresh = list(rec)
                fresh[f.at[key]] = str(new_key + i)
                delta.append(fresh)
            # a new key twice in the load: the later record wins
            delta.append(list(delta[-1]))
            # rejections: a missing key, an invalid key, an invalid value
            blank = list(good[0])
            blank[f.at[key]] = ""
            bad_key = list(good[1])
            bad_key[f.at[key]] = "7.5"
            delta += [blank, bad_key]
        delta.append(list(good[2]))  # an exact repeat of an old record
        if e.table == "customers":
            delta.append(
                f.record(
                    customer_id=str(late_customer),
                    name="Late Comer",
                    email="late@example.com",
                    address="1 Late Road",
                )
            )
            delta.append(f.record(customer_id=str(top["customers"] + 50), name="X" * 101))
        elif e.table == "stores":
            delta.append(
                f.record(
                    store_id=str(late_store),
                    location="Late Town",
                    manager="M",
                    open_hours="9:00 AM - 5:00 PM",
                )
            )
        elif e.table in moved:  # the lonely transactions, moved
            rec = list(next(r for r in good if f.get(r, e.primary_key[0]) == str(moved[e.table])))
            rec[f.at["customerid"]] = str(late_customer)
            parent = {
                "online_transactions": "productid",
                "instore_transactions": "storeid",
                "customer_service_interactions": "agentid",
            }[e.table]
            rec[f.at[parent]] = "1"
            delta.append(rec)
        if e.table == "online_transactions":
            delta += [
                # a child whose parent arrives in this load
                f.record(
                    order_id=str(order + 2),
                    customer_id=str(late_customer),
                    product_id="2",
                    date_time=at,
                    payment_method="Cash",
                    amount="20.00",
                    status="Completed",
                ),
                # a fresh orphan, and an orphan update of an old key (rejected: the
                # old record keeps the key)
                f.record(
                    order_id=str(order + 3),
                    customer_id="99999999",
                    product_id="2",
                    date_time=at,
                    payment_method="Cash",
                    amount="1.00",
                    status="Completed",
                ),
                f.record(
                    order_id="1",
                    customer_id="99999999",
                    product_id="2",
                    date_time=at,
                    payment_method="Cash",
                    amount="1.00",
                    status="Completed",
                ),
                f.record(
                    order_id=str(order + 4),
                    customer_id="1",
                    product_id="2",
                    date_time=at,
                    payment_method="Cash",
                    amount="1e3",
                    status="Completed",
                ),
            ]
        elif e.table == "loyalty_transactions":
            delta += [
                # a later record of an old key (an update), and a new key of an account
                # that was an orphan in load 1
                f.record(
                    loyalty_id=f.get(good[0], "loyalty_id"),
                    date_time=f.get(good[0], "date_time"),
                    points_change="99",
                    reason="Correction",
                ),
                f.record(
                    loyalty_id=str(late_account),
                    date_time="2025-02-03 10:00:00",
                    points_change="7",
                    reason="Purchase",
                ),
                f.record(loyalty_id="", date_time=at, points_change="1", reason="Purchase"),
            ]
        write(load2 / e.file, f.header, delta)
    return load1, load2


def bootstrap(source: Path, lake: Path, db: Path) -> None:
    args = ["bootstrap", "--source", str(source), "--lake", str(lake), "--duckdb", str(db)]
    assert main([*args, "--quiet"]) == 0


def build(args: list[str], db: Path, work: Path) -> dict[str, dict]:
    p = run_dbt(args, db, work)
    assert p.returncode == 0, p.stdout[-4000:]
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r for r in results}


def relations() -> list[str]:
    out = []
    for e in EXTRACTS:
        out += [f"main.int_{e.table}__classified", f"silver.{e.table}"]
    return out + ["main.customer_activity", "audit.rejected_rows"] + [f"gold.{g}" for g in GOLD]


def warehouse_path(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The file of one of the two warehouses: `incremental` (A) or `c360` (B, rebuilt)."""
    (path,) = con.execute(
        "select path from duckdb_databases() where database_name = ?", [name]
    ).fetchone()
    return path


def copy_of(con: duckdb.DuckDBPyConnection, name: str, folder: Path) -> Path:
    """A copy of warehouse `name` to build on, as folder/c360.duckdb (the catalog name the
    compiled SQL uses)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "c360.duckdb"
    shutil.copy(warehouse_path(con, name), db)
    return db


def differences(con: duckdb.DuckDBPyConnection, x: str, y: str, columns: str = "*") -> list:
    """The rows of relation x that y lacks and of y that x lacks (as multisets)."""
    return con.execute(
        f"(select {columns} from {x} except all select {columns} from {y}) union all "
        f"(select {columns} from {y} except all select {columns} from {x})"
    ).fetchall()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("incremental")
    load1, load2 = make_loads(work)
    lake, db = work / "lake", work / "c360.duckdb"
    # Warehouse A: load 1, build; load 2, incremental build.
    bootstrap(load1, lake, db)
    build(["build", *NO_TESTS], db, work)
    before = {
        t: duckdb.connect(str(db), read_only=True)
        .execute(f"select count(*) from main.int_{t}__classified")
        .fetchone()[0]
        for t in ("online_transactions", "loyalty_transactions")
    }
    bootstrap(load2, lake, db)
    incremental = build(["build"], db, work)
    # what the incremental build selected: its compiled queries, counted in warehouse A
    # (the watermark in them is load 1's, a literal)
    compiled = work / "target" / "compiled" / "customer360" / "models" / "intermediate"
    with duckdb.connect(str(db), read_only=True) as a:
        selected = {
            t: a.execute(
                f"select count(*) from ({(compiled / f'int_{t}__classified.sql').read_text()})"
            ).fetchone()[0]
            for t in before
        }
    shutil.move(db, work / "incremental.duckdb")
    # Warehouse B: both loads (from the same lake) at once, built from scratch.
    bootstrap(load2, lake, db)
    build(["build", "--full-refresh", *NO_TESTS], db, work)
    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"attach '{work / 'incremental.duckdb'}' as incremental (read_only)")
    yield con, incremental, before, selected
    con.close()


@pytest.mark.parametrize("relation", relations())
def test_incremental_equals_full_refresh(warehouses, relation):
    con, *_ = warehouses
    full = con.execute(f"select count(*) from {relation}").fetchone()[0]
    assert full > 0, relation
    # _loaded_at, _classified_at and _built_at say when this warehouse loaded, classified
    # or computed a row: B did each later
    schema, name = relation.split(".")
    columns = ", ".join(
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_catalog = "
            "current_database() and table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
        if c not in ("_loaded_at", "_classified_at", "_built_at")
    )
    for a, b in ((relation, f"incremental.{relation}"), (f"incremental.{relation}", relation)):
        extra = con.execute(
            f"select {columns} from {a} except all select {columns} from {b}"
        ).fetchall()
        assert extra == [], f"{a} has rows that {b} lacks: {extra[:5]}"


def test_the_delta_exercises_every_rule(warehouses):
    con, *_ = warehouses
    loads = [
        r[0] for r in con.execute("select distinct load_id from raw._loads order by 1").fetchall()
    ]
    assert len(loads) == 2
    reasons = dict(
        con.execute(
            "select reason, count(*) from audit.rejected_rows where _load_id = ? group by reason",
            [loads[1]],
        ).fetchall()
    )
    for reason in ("missing_key", "invalid_key", "invalid_value", "orphan_reference"):
        assert reasons.get(reason, 0) > 0, reason
    # load 2 superseded load-1 records (updates) ...
    superseded = con.execute(
        "select count(*) from audit.rejected_rows "
        "where reason = 'duplicate_superseded' and _load_id = ?",
        [loads[0]],
    ).fetchone()[0]
    assert superseded > 10
    # ... and turned load-1 orphans valid, two levels down the foreign keys.
    kept = con.execute(
        "select count(*) from silver.loyalty_transactions where _load_id = ? and loyalty_id in "
        "(select loyalty_id from silver.loyalty_accounts where _load_id = ?)",
        [loads[0], loads[0]],
    ).fetchone()[0]
    assert kept > 0
    assert (
        con.execute(
            "select count(*) from silver.online_transactions o join silver.customers c "
            "on o.customer_id = c.customer_id where o._load_id = ? and c._load_id = ?",
            [loads[0], loads[1]],
        ).fetchone()[0]
        >= 2
    )
    # The lonely product, store and agent are in silver; load 2 moved their only
    # transaction away, so they have no gold row.
    for silver, gold, key in (
        ("products", "average_order_value", "product_id"),
        ("stores", "average_order_value", "store_id"),
        ("agents", "agent_performance", "agent_id"),
    ):
        lonely = con.execute(f"select max({key}) from silver.{silver}").fetchone()[0]
        assert con.execute(
            f"select _load_id from silver.{silver} where {key} = ?", [lonely]
        ).fetchone() == (loads[0],)
        assert con.execute(
            f"select count(*) from gold.{gold} where {key} = ?", [lonely]
        ).fetchone() == (0,)


def test_the_incremental_build_processed_only_the_delta(warehouses):
    """Not a silent full rebuild: the classified models' incremental queries selected the
    new load and the earlier records of the keys it touched, a fraction of the table."""
    con, results, before, selected = warehouses
    for table, count_before in before.items():
        assert results[f"int_{table}__classified"]["status"] == "success"
        total = con.execute(f"select count(*) from main.int_{table}__classified").fetchone()[0]
        assert total > count_before
        assert 0 < selected[table] < total / 4, (table, selected[table], total)


@pytest.mark.parametrize(
    ("relation", "column"),
    [
        ("silver.online_transactions", "_classified_at"),
        ("silver.loyalty_transactions", "_classified_at"),
        ("main.customer_activity", "_built_at"),
        ("gold.customer_segments", "_built_at"),
        ("gold.customer_360", "_built_at"),
    ],
)
def test_the_incremental_build_rewrote_only_what_the_delta_touched(warehouses, relation, column):
    """Silver took only the winners of the touched keys, and the customer activity and
    gold recomputed only the touched customers: the incremental build wrote fewer rows
    of each relation than it left as the first build wrote them (the delta touches about
    a quarter of the keys)."""
    con, *_ = warehouses
    by_build = con.execute(
        f"select {column}, count(*) from incremental.{relation} group by 1 order by 1"
    ).fetchall()
    assert len(by_build) == 2, by_build  # the first build's rows, then the second's
    (_, first), (_, second) = by_build
    assert 0 < second < first, (relation, by_build)


def test_gold_reads_its_touched_keys_from_a_table_the_engine_counts(warehouses):
    """DuckDB: the incremental build of the customer activity and of each incremental gold
    model wrote the keys its new records touched to a temporary table and read them from
    there, not from the view over every classified table (whose size the engine guessed,
    then hashed the silver relation instead of the keys); their rows are the full build's
    (test_incremental_equals_full_refresh)."""
    con, results, *_ = warehouses
    reads = {
        "customer_activity": ["customer_id"],
        "customer_segments": ["customer_id"],
        "customer_360": ["customer_id"],
        "average_order_value": ["product_id", "store_id"],
        "agent_performance": ["agent_id"],
    }
    for model, columns in reads.items():
        assert results[model]["status"] == "success"
        sql = results[model]["compiled_code"]
        assert "int_records__touched" not in sql, model
        for column in columns:
            assert f'from "{model}__touched_{column}"' in sql, (model, column)
    rewritten = con.execute(
        "select count(*) from incremental.main.customer_activity where _built_at = "
        "(select max(_built_at) from incremental.main.customer_activity)"
    ).fetchone()[0]
    assert 0 < rewritten < con.execute("select count(*) from silver.customers").fetchone()[0]


def test_data_tests_read_what_the_latest_build_wrote(warehouses, tmp_path):
    """`latest_build:` scoping (macros/tests/get_where_subquery.sql), on a copy of the
    incrementally built warehouse: a duplicate planted among rows an earlier build wrote
    is left to the full set (`test_every_row`); one whose key the latest build wrote is
    caught by the daily build's test."""
    con, *_ = warehouses
    db = copy_of(con, "incremental", tmp_path)
    unique_order = ["test", "-s", "unique_online_transactions_order_id"]

    def plant(when: str) -> None:
        first = "(select min(_classified_at) from silver.online_transactions)"
        with duckdb.connect(str(db)) as w:
            w.execute(
                "insert into silver.online_transactions by name "
                f"select * replace ({when} as _classified_at) from silver.online_transactions "
                f"where _classified_at = {first} and order_id = (select min(order_id) "
                f"from silver.online_transactions where _classified_at = {first})"
            )

    assert run_dbt(unique_order, db, tmp_path).returncode == 0
    plant("_classified_at")  # a second row of an order the first build wrote
    assert run_dbt(unique_order, db, tmp_path).returncode == 0  # not the delta's
    every_row = run_dbt([*unique_order, "--vars", "{test_every_row: true}"], db, tmp_path)
    assert every_row.returncode == 1, every_row.stdout[-2000:]
    assert "Got 1 result" in every_row.stdout
    plant("(select max(_classified_at) from silver.online_transactions)")  # now the delta's
    daily = run_dbt(unique_order, db, tmp_path)
    assert daily.returncode == 1, daily.stdout[-2000:]
    assert "Got 1 result" in daily.stdout


def test_the_incremental_builds_tests_read_the_rows_it_wrote(warehouses):
    """Within `dbt build`, a `latest_build:` test reads the rows of the build's start time
    (the time every row it writes carries) and no earlier row: each test of the
    incremental build filters on that literal, the latest `_classified_at` and `_built_at`
    of warehouse A, later than the first build's rows, which the filter leaves out."""
    con, incremental, *_ = warehouses
    scoped = {
        name: {(m[0], m[2]) for m in BUILD_TIME_FILTER.findall(r["compiled_code"] or "")}
        for name, r in incremental.items()
        if r["unique_id"].startswith("test.")
    }
    scoped = {name: found for name, found in scoped.items() if found}
    assert len(scoped) >= 40, sorted(scoped)
    (started,) = {value for found in scoped.values() for _, value in found}
    latest = con.execute(
        "select max(_classified_at), min(_classified_at) from "
        "incremental.silver.online_transactions"
    ).fetchone()
    built = con.execute("select max(_built_at) from incremental.gold.customer_360").fetchone()
    text = "%Y-%m-%d %H:%M:%S.%f"
    assert latest[0].strftime(text) == started == built[0].strftime(text)
    assert latest[1] < latest[0]  # the first build's rows, which the tests leave out


def test_changed_segment_rules_recompute_every_customer(warehouses, tmp_path):
    """The segment rules change (two vars), and no new load arrives: the incremental build
    recomputes every customer of customer_segments and customer_360 (the touched keys alone
    would be none), which then equal a full rebuild under the new rules."""
    con, *_ = warehouses
    rules = ["--vars", "{high_value_min_spend: 200, loyalty_champion_tiers: [Gold, Platinum]}"]
    gold = ["-s", "customer_segments", "customer_360"]
    db = {
        "a": copy_of(con, "incremental", tmp_path / "a"),
        "b": copy_of(con, "c360", tmp_path / "b"),
    }
    # (the unit tests' fixtures assume the default rules)
    daily = build(
        ["build", *gold, *rules, "--exclude-resource-type", "unit_test"], db["a"], tmp_path / "a"
    )
    assert {daily[m]["status"] for m in ("customer_segments", "customer_360")} == {"success"}
    build(["build", "--full-refresh", *gold, *rules, *NO_TESTS], db["b"], tmp_path / "b")
    with duckdb.connect(str(db["a"]), read_only=True) as a:
        a.execute(f"attach '{db['b']}' as rebuilt (read_only)")
        a.execute(f"attach '{warehouse_path(con, 'incremental')}' as before (read_only)")
        for relation in ("gold.customer_segments", "gold.customer_360"):
            built = a.execute(f"select count(distinct _built_at) from {relation}").fetchone()
            assert built == (1,), relation  # every row recomputed by the daily build
            columns = ", ".join(
                c
                for (c,) in a.execute(
                    "select column_name from information_schema.columns where table_catalog = "
                    "'c360' and table_schema = 'gold' and table_name = ? "
                    "order by ordinal_position",
                    [relation.split(".")[1]],
                ).fetchall()
                if c != "_built_at"
            )
            for x, y in ((relation, f"rebuilt.{relation}"), (f"rebuilt.{relation}", relation)):
                extra = a.execute(
                    f"select {columns} from {x} except all select {columns} from {y}"
                ).fetchall()
                assert extra == [], f"{x} has rows that {y} lacks: {extra[:5]}"
        changed = a.execute(
            "select count(*) from gold.customer_360 as now join before.gold.customer_360 as was "
            "using (customer_id) where now.segment <> was.segment"
        ).fetchone()[0]
        assert changed > 0  # the new rules moved customers to other segments


def test_a_build_with_no_new_records_reads_no_silver_row_for_gold(warehouses, tmp_path):
    """No new load: the incremental queries of the gold models and of the customer
    activity they read filter with `1 = 0` (no key is touched) instead of probing every
    silver row against an empty set, and every one of these relations stays as it was."""
    con, *_ = warehouses
    db = copy_of(con, "incremental", tmp_path)
    gold = ["customer_segments", "customer_360", "average_order_value", "agent_performance"]
    results = build(["build", "-s", "customer_activity", *gold, *NO_TESTS], db, tmp_path)
    compiled = tmp_path / "target" / "compiled" / "customer360" / "models"
    relations = {f"gold.{model}": f"marts/customer/{model}.sql" for model in gold}
    relations["main.customer_activity"] = "marts/customer/customer_activity.sql"
    for relation, path in relations.items():
        model = relation.split(".")[1]
        assert results[model]["status"] == "success"
        sql = (compiled / path).read_text()
        assert "1 = 0" in sql and "in (select" not in sql, model
    with duckdb.connect(str(db), read_only=True) as after:
        after.execute(f"attach '{warehouse_path(con, 'incremental')}' as before (read_only)")
        for relation in relations:
            changed = differences(after, relation, f"before.{relation}")
            assert changed == [], (relation, changed[:5])


def test_a_gold_table_built_before_the_segment_rules_column_asks_for_a_full_refresh(
    warehouses, tmp_path
):
    """A customer_segments built before `_segment_rules` existed: the incremental build
    stops on dbt's schema-change message, naming the column, not on a query error."""
    con, *_ = warehouses
    db = copy_of(con, "incremental", tmp_path)
    with duckdb.connect(str(db)) as w:
        w.execute("alter table gold.customer_segments drop column _segment_rules")
    p = run_dbt(["build", "-s", "customer_segments", *NO_TESTS], db, tmp_path)
    assert p.returncode == 1
    assert "schemas on this incremental model are out of sync" in p.stdout, p.stdout[-3000:]
    assert "Source columns not in target: [DuckDBColumn(column='_segment_rules'" in p.stdout


def test_a_build_with_no_new_load_classifies_and_tests_nothing(warehouses, tmp_path):
    """No new load (the build a scheduler runs when nothing arrived): each classified model
    finds nothing to do in one query and selects from no record (`where 1 = 0`: no
    revalidation scan of its table), each data test of silver reads no row (the build
    wrote none), nor do the accounting test and the audit's grain test (no load's records
    changed fate), and every relation stays as it was. Faults in an earlier load (a ledger
    row, a rejected record twice) are left to `dbt test`, which checks every load."""
    con, *_ = warehouses
    db = copy_of(con, "incremental", tmp_path)
    with duckdb.connect(str(db)) as w:  # an earlier load's file: one record more than it has
        w.execute(
            "update raw._loads set records = records + 1, physical_lines = physical_lines + 1 "
            "where source_file = 'Customers.csv' and load_id = (select min(load_id) "
            "from raw._loads)"
        )
    results = build(["build"], db, tmp_path)
    assert {r["status"] for r in results.values()} <= {"success", "pass", "warn", "no-op"}
    for name in ("assert_every_record_accounted_for", "composite_key_rejected_rows_"):
        (sql,) = [r["compiled_code"] for r in results.values() if f".{name}" in r["unique_id"]]
        # the accounting test: the audit's rows, and its files after silver's count per
        # load (which an empty result then skips)
        assert sql.count("where 1 = 0") == (2 if name.startswith("assert") else 1), sql
        assert " in (" not in sql, sql
    compiled = tmp_path / "target" / "compiled" / "customer360"
    for e in EXTRACTS:
        sql = (compiled / "models" / "intermediate" / f"int_{e.table}__classified.sql").read_text()
        assert "where 1 = 0" in sql and "revalidated" not in sql, e.table
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    silver_tests = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        and any(d.split(".")[-1] in {e.table for e in EXTRACTS} for d in n["depends_on"]["nodes"])
        and (n["config"].get("where") or "").startswith("latest_build:")
    ]
    assert len(silver_tests) >= 9
    with duckdb.connect(str(db), read_only=True) as after:
        scoped = {"key": 0, "row": 0}
        for test in silver_tests:
            sql = next(compiled.rglob(f"{test['alias']}.sql")).read_text()
            if test["test_metadata"]["name"] in ("unique", "composite_key"):
                # a key test: its probe found no row of this build, and reads nothing
                assert "where 1 = 0" in sql, test["name"]
                scoped["key"] += 1
                continue
            # a row test: no probe; its filter is this build's start, which no row has
            column = test["config"]["where"].split(":")[1]
            model = manifest["nodes"][test["attached_node"]]
            relation = f"{model['schema']}.{model['alias']}"
            (since,) = {m[1] for m in BUILD_TIME_FILTER.findall(sql) if m[0] == column}
            rows = after.execute(f"select count(*) from {relation} where {column} >= {since}")
            assert rows.fetchone() == (0,), test["name"]
            assert after.execute(f"select count(*) from {relation}").fetchone()[0] > 0
            scoped["row"] += 1
        assert scoped["key"] >= 9 and scoped["row"] >= 9, scoped
        after.execute(f"attach '{warehouse_path(con, 'incremental')}' as before (read_only)")
        for relation in relations():
            if relation == "audit.rejected_rows":  # a view: its malformed rows carry the build
                continue
            # peak_times is rebuilt whole by every build: its rows carry the build's time
            cols = "* exclude (_built_at)" if relation.startswith("gold.") else "*"
            changed = differences(after, relation, f"before.{relation}", cols)
            assert changed == [], (relation, changed[:5])
    with duckdb.connect(str(db)) as w:  # an earlier load's rejected record, twice
        w.execute(
            "insert into main.int_online_transactions__classified select * from "
            "main.int_online_transactions__classified where _rejection_reason is not null limit 1"
        )
    grain = "composite_key_rejected_rows_source_file___load_id__source_row"
    alone = run_dbt(["test", "-s", "assert_every_record_accounted_for", grain], db, tmp_path)
    assert alone.returncode == 1, alone.stdout[-2000:]
    failures = {
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    }
    # the Customers.csv and OnlineTransactions.csv of load 1; the record twice
    assert failures == {"assert_every_record_accounted_for": ("fail", 2), grain: ("fail", 1)}


def test_the_accounting_test_checks_the_loads_the_build_changed(warehouses, tmp_path):
    """In `dbt build`, the accounting test and the audit's grain test read the loads whose
    records' fate the build decided or changed (build_loads): after the delta, both loads
    (the delta superseded records of load 1). A load newer than every classified one
    whose records reached neither silver nor the audit (a load the classification
    missed) is in the next build's scope, and fails it."""
    con, incremental, *_ = warehouses
    db = copy_of(con, "incremental", tmp_path)
    with duckdb.connect(str(db)) as w:
        ledger = w.execute("select distinct load_id from raw._loads order by 1").fetchall()
    loads = [r[0] for r in ledger]
    assert len(loads) == 2
    scope = f"in ('{loads[0]}', '{loads[1]}')"
    accounting = incremental["assert_every_record_accounted_for"]["compiled_code"]
    assert accounting.count(f"where _load_id {scope}") == 1, accounting  # the audit
    # the files, after silver's rows are counted per load
    files = f"where coalesce(records_per_file._load_id, outcomes_per_file._load_id) {scope}"
    assert accounting.count(files) == 1, accounting
    (grain,) = [r for r in incremental.values() if ".composite_key_rejected_rows" in r["unique_id"]]
    assert f"where _load_id {scope}) dbt_subquery" in grain["compiled_code"]
    with duckdb.connect(str(db)) as w:  # a third load whose one record went nowhere
        w.execute(
            "insert into raw._loads by name select * replace ('99999999T999999999999Z' as "
            "load_id, 1 as records, 0 as malformed, 2 as physical_lines, 1 as other_lines) "
            "from raw._loads where source_file = 'Stores.csv' and load_id = ?",
            [loads[1]],
        )
    missed = run_dbt(["build", "-s", "assert_every_record_accounted_for"], db, tmp_path)
    assert missed.returncode == 1, missed.stdout[-2000:]
    assert "Got 1 result" in missed.stdout


@pytest.mark.parametrize("parent_first", [False, True], ids=["one_build", "parent_built_first"])
def test_a_new_parent_alone_revalidates_its_orphans(warehouses, tmp_path, parent_first):
    """A load that brings only a customer, the parent of an order rejected earlier as an
    orphan: the order's table has no new record, yet its classified model is not skipped
    (its parent was classified since), the order moves to silver, and the result equals a
    full rebuild of the same loads. Also when a first build classified the customer
    alone (`dbt build -s +int_customers__classified`, or a build whose order model
    failed): the orders' latest `_classified_at`, which revalidation counts from, is then
    older than the customer's, so the next build still checks the order."""
    con, *_ = warehouses
    work = Path(warehouse_path(con, "c360")).parent
    db = copy_of(con, "incremental", tmp_path / "a")
    with duckdb.connect(str(db), read_only=True) as a:
        found = a.execute(
            "select c.order_id, c.customer_id from main.int_online_transactions__classified c "
            "where c._rejection_reason = 'orphan_reference' and c.customer_id is not null "
            "and c.product_id in (select product_id from silver.products) "
            "and c.order_id not in (select order_id from silver.online_transactions) "
            "and c.customer_id not in (select customer_id from main.int_customers__classified "
            "where customer_id is not null) "
            "order by c._load_id desc, c._source_row desc limit 1"
        ).fetchone()
    assert found, "the loads hold no orphan order whose customer never arrived"
    order_id, customer_id = found
    source = tmp_path / "parent_only"
    shutil.copytree(work / "load2", source)  # the latest landed files: not landed again
    customers = Extract(source / "Customers.csv")
    customers.records.append(customers.record(customer_id=str(customer_id), name="Late Parent"))
    write(customers.path, customers.header, customers.records)
    bootstrap(source, work / "lake", db)
    if parent_first:
        build(["build", "-s", "+int_customers__classified", *NO_TESTS], db, tmp_path / "a")
        with duckdb.connect(str(db), read_only=True) as a:
            assert a.execute(  # the customer is classified; the order not yet revalidated
                "select (select _rejection_reason from main.int_online_transactions__classified "
                "where order_id = ?), (select count(*) from main.int_customers__classified "
                "where customer_id = ? and _rejection_reason is null)",
                [order_id, customer_id],
            ).fetchone() == ("orphan_reference", 1)
    build(["build", *NO_TESTS], db, tmp_path / "a")
    rebuilt = tmp_path / "b" / "c360.duckdb"
    rebuilt.parent.mkdir()
    shutil.copy(db, rebuilt)
    build(["build", "--full-refresh", *NO_TESTS], rebuilt, tmp_path / "b")
    with duckdb.connect(str(db), read_only=True) as a:
        assert a.execute(
            "select customer_id from silver.online_transactions where order_id = ?", [order_id]
        ).fetchone() == (customer_id,)
        a.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        for relation in ("main.int_online_transactions__classified", "silver.online_transactions"):
            diff = differences(a, relation, f"rebuilt.{relation}", "* exclude (_classified_at)")
            assert diff == [], (relation, diff[:5])
