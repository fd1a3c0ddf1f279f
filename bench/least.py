"""The least work: what any pipeline that meets the contract has to do, in plain DuckDB.

``python -m bench.least SOURCE_DIR --into FILE [--checked]`` runs, in a fresh DuckDB file
with the warehouse's settings (``profiles.yml``: ``memory_limit`` 2GB,
``preserve_insertion_order`` false; a DuckDB thread per core, as there), one
``create table ... as`` per silver table and one per gold table, then a ``checkpoint``,
and prints one JSON object: per statement, the seconds and the rows written. The file is
deleted after.

Silver, per extract, parents first: the file read once, the last record of each key kept,
the records whose foreign key has no parent dropped, the contract's columns written.
Gold: the five relations of CONTRACT.md section 3, computed from those tables with the
default segment rules.

Left out, so that the figure is a lower bound for any implementation: the lake, a raw
layer, the rejected-rows audit and its reasons, lineage columns, record numbers (which of
a key's records survives is arbitrary), the contract's format rules beyond a cast, data
tests, and dbt. Every file is read as the floor reads it
(:func:`bench.floor.read_csv_sql`: records that do not fit skipped), typed; with
``--checked``, every field is read as text, trimmed and cast with ``try_cast``, which is
the least a pipeline that must report each bad value (rather than skip its record) can
do.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from bench.floor import DUCKDB_TYPES, header_columns, read_csv_sql, remove_database
from loader.contract import EXTRACTS, TIER_LEVELS, Extract

SETTINGS = {"memory_limit": "2GB", "preserve_insertion_order": False}
HIGH_VALUE_MIN_SPEND = 1000  # dbt_project.yml's default `high_value_min_spend`
LOYALTY_CHAMPION_TIERS = ("Gold",)  # and `loyalty_champion_tiers`

TIER_RANK = " ".join(f"when '{t}' then {i}" for i, t in enumerate(TIER_LEVELS, 1))
CHAMPION_RANKS = ", ".join(str(TIER_LEVELS.index(t) + 1) for t in LOYALTY_CHAMPION_TIERS)

#: The five gold relations, over the silver tables as this module writes them (the
#: extract's column names: ``date_time`` for the timestamps).
GOLD: dict[str, str] = {
    "average_order_value": """
        select 'Online' as channel, o.product_id, p.name as product_name, p.category,
            null::bigint as store_id, null as store_location, count(*) as order_count,
            sum(o.amount) as total_amount, sum(o.amount) / count(*) as average_order_value
        from online_transactions as o inner join products as p on o.product_id = p.product_id
        group by o.product_id, p.name, p.category
        union all
        select 'InStore', null, null, null, i.store_id, s.location, count(*), sum(i.amount),
            sum(i.amount) / count(*)
        from instore_transactions as i inner join stores as s on i.store_id = s.store_id
        group by i.store_id, s.location""",
    "customer_segments": f"""
        with orders as (
            select customer_id, sum(amount) as spend, count(*) as n
            from online_transactions group by customer_id
        ), tiers as (
            select customer_id, max(case tier_level {TIER_RANK} end) as tier_rank
            from loyalty_accounts group by customer_id
        )
        select c.customer_id, coalesce(o.spend, 0) as total_spend,
            coalesce(o.n, 0) as total_orders, t.tier_rank,
            case
                when coalesce(o.spend, 0) >= {HIGH_VALUE_MIN_SPEND} then 'High-Value'
                when o.n = 1 then 'One-Time Buyer'
                when t.tier_rank in ({CHAMPION_RANKS}) then 'Loyalty Champion'
                else 'Regular'
            end as segment
        from customers as c
        left join orders as o on c.customer_id = o.customer_id
        left join tiers as t on c.customer_id = t.customer_id""",
    "peak_times": """
        select 'Online' as channel, dayname(date_time) as day_name,
            isodow(date_time) as day_of_week, hour(date_time) as "hour",
            count(*) as total_transactions
        from online_transactions where date_time is not null
        group by all
        union all
        select 'InStore', dayname(date_time), isodow(date_time), hour(date_time), count(*)
        from instore_transactions where date_time is not null
        group by all""",
    "agent_performance": """
        select a.agent_id, a.name as agent_name, count(*) as total_interactions,
            count(*) filter (where i.resolution_status = 'Resolved') as resolved_interactions,
            count(*) filter (where i.resolution_status = 'Resolved') / count(*)
                as resolution_rate
        from customer_service_interactions as i
        inner join agents as a on i.agent_id = a.agent_id
        group by a.agent_id, a.name""",
    "customer_360": """
        with online as (
            select customer_id, count(*) as n, sum(amount) as spend,
                min(date_time) as first_at, max(date_time) as last_at
            from online_transactions group by customer_id
        ), instore as (
            select customer_id, count(*) as n, sum(amount) as spend,
                min(date_time) as first_at, max(date_time) as last_at
            from instore_transactions group by customer_id
        ), points as (
            select customer_id, sum(points_earned) as points
            from loyalty_accounts group by customer_id
        ), service as (
            select customer_id, count(*) as n,
                count(*) filter (where resolution_status is distinct from 'Resolved')
                    as unresolved
            from customer_service_interactions group by customer_id
        )
        select c.customer_id, c.name, c.email,
            coalesce(o.n, 0) as online_orders, coalesce(o.spend, 0) as online_spend,
            coalesce(i.n, 0) as instore_transactions, coalesce(i.spend, 0) as instore_spend,
            coalesce(o.spend, 0) + coalesce(i.spend, 0) as total_spend,
            least(o.first_at, i.first_at) as first_purchase_at,
            greatest(o.last_at, i.last_at) as last_purchase_at,
            s.tier_rank as loyalty_tier, coalesce(p.points, 0) as loyalty_points,
            coalesce(v.n, 0) as service_interactions,
            coalesce(v.unresolved, 0) as unresolved_interactions, s.segment
        from customers as c
        left join online as o on c.customer_id = o.customer_id
        left join instore as i on c.customer_id = i.customer_id
        left join points as p on c.customer_id = p.customer_id
        left join service as v on c.customer_id = v.customer_id
        left join gold_customer_segments as s on c.customer_id = s.customer_id""",
}


def silver_sql(extract: Extract, path: Path, checked: bool) -> str:
    """``select`` of one silver table: read, typed, last record per key, orphans dropped."""
    columns = header_columns(path, extract)
    typed = [
        (f"try_cast(nullif(trim(c{i}), '') as {DUCKDB_TYPES[c.type]})" if checked else f"c{i}")
        + f" as {c.name}"
        for i, c in enumerate(columns)
        if c is not None
    ]
    keys = ", ".join(extract.primary_key)
    key_present = " and ".join(f"{k} is not null" for k in extract.primary_key)
    parents = " and ".join(
        f"({f.column} is null or {f.column} in (select {f.parent_column} from {f.parent}))"
        for f in extract.foreign_keys
    )
    return (
        f"with typed as (select {', '.join(typed)} "
        f"from {read_csv_sql(path, columns, as_text=checked)}), "
        f"last_per_key as (select * from typed where {key_present} "
        f"qualify row_number() over (partition by {keys}) = 1) "
        f"select {', '.join(extract.column_names)} from last_per_key"
        + (f" where {parents}" if parents else "")
    )


def least_work(source: Path, into: Path, checked: bool = False) -> dict[str, dict[str, float]]:
    remove_database(into)
    con = duckdb.connect(str(into), config=SETTINGS)
    out: dict[str, dict[str, float]] = {}

    def timed(name: str, table: str, sql: str) -> None:
        t0 = time.perf_counter()
        con.execute(f"create table {table} as {sql}")
        seconds = time.perf_counter() - t0
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        out[name] = {"seconds": seconds, "rows": rows}

    try:
        for e in EXTRACTS:  # parents come before their children
            timed(e.table, e.table, silver_sql(e, source / e.file, checked))
        for name, sql in GOLD.items():
            timed(f"gold.{name}", f"gold_{name}", sql)
        t0 = time.perf_counter()
        con.execute("checkpoint")
        out["checkpoint"] = {"seconds": time.perf_counter() - t0, "rows": 0}
    finally:
        con.close()
        remove_database(into)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    checked = "--checked" in args
    args = [a for a in args if a != "--checked"]
    if len(args) != 3 or args[1] != "--into":
        print(
            "usage: python -m bench.least SOURCE_DIR --into DUCKDB_FILE [--checked]",
            file=sys.stderr,
        )
        return 2
    print(json.dumps(least_work(Path(args[0]), Path(args[2]), checked)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
