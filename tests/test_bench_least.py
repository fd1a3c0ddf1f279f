"""bench/least.py, the least work any pipeline meeting the contract does, is a lower bound
only if it does that work: on records whose only dirt is what it handles (the oracle's
silver rows of a generated source written back, plus repeated records and orphans) its
silver tables and its five gold tables must hold what the contract asks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from bench import least
from loader.contract import EXTRACTS
from loader.generate import generate_source
from tests import oracle
from tests.sources import write_source


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | Decimal | int):
        return str(value)
    return value


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, oracle.Result]:
    """A source whose values are all valid, with every tenth record of each file written
    twice and one orphan per foreign key, and what the contract makes of it."""
    tmp = tmp_path_factory.mktemp("least")
    generate_source(tmp / "dirty", scale=3, seed=7)
    silver = oracle.compute([tmp / "dirty"]).silver
    rows = {}
    for e in EXTRACTS:
        records = [[as_text(v) for v in r.values()] for r in silver[e.table]]
        records += records[::10]
        for fk in e.foreign_keys:
            orphan = list(records[0])
            orphan[e.column_names.index(e.primary_key[0])] = str(10**9)  # a new key
            orphan[e.column_names.index(fk.column)] = str(10**9)
            records.append(orphan)
        rows[e.table] = records
    source = write_source(tmp / "clean", rows)
    return source, oracle.compute([source])


def tables(path: Path, names: list[str]) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {n: con.execute(f"select * from {n}").fetchall() for n in names}
    finally:
        con.close()


@pytest.mark.parametrize("checked", [False, True], ids=["typed", "checked"])
def test_the_least_work_computes_what_the_contract_asks(
    clean: tuple[Path, oracle.Result], tmp_path: Path, checked: bool, monkeypatch
) -> None:
    source, expected = clean
    reasons = {r["reason"] for r in expected.rejected}
    assert reasons == {"duplicate_superseded", "orphan_reference"}
    kept: dict[str, list[tuple]] = {}
    real_remove = least.remove_database

    def keep_then_remove(path: Path) -> None:  # read the tables before the file goes
        if path.exists():
            kept.update(tables(path, [e.table for e in EXTRACTS] + list(gold_names)))
        real_remove(path)

    gold_names = [f"gold_{g}" for g in least.GOLD]
    monkeypatch.setattr(least, "remove_database", keep_then_remove)
    out = least.least_work(source, tmp_path / "least.duckdb", checked=checked)

    assert not (tmp_path / "least.duckdb").exists()
    assert set(out) == {e.table for e in EXTRACTS} | {f"gold.{g}" for g in least.GOLD} | {
        "checkpoint"
    }
    for e in EXTRACTS:
        assert out[e.table]["rows"] == len(expected.silver[e.table]) > 0, e.table
        assert set(kept[e.table]) == {tuple(r.values()) for r in expected.silver[e.table]}

    gold = expected.gold
    assert out["gold.customer_segments"]["rows"] == len(gold["customer_segments"])
    segments = {r[0]: r[4] for r in kept["gold_customer_segments"]}
    assert segments == {r["customer_id"]: r["segment"] for r in gold["customer_segments"]}
    spend = {r[0]: (r[7], r[14]) for r in kept["gold_customer_360"]}
    assert spend == {
        r["customer_id"]: (r["total_spend"], r["segment"]) for r in gold["customer_360"]
    }
    aov = {(r[0], r[1], r[4], r[6], r[7]) for r in kept["gold_average_order_value"]}
    assert aov == set(
        (r["channel"], r["product_id"], r["store_id"], r["order_count"], r["total_amount"])
        for r in gold["average_order_value"]
    )
    peaks = {(r[0], r[2], r[3], r[4]) for r in kept["gold_peak_times"]}
    assert peaks == set(
        (r["channel"], r["day_of_week"], r["hour"], r["total_transactions"])
        for r in gold["peak_times"]
    )
    agents = {r[:4] for r in kept["gold_agent_performance"]}
    assert agents == set(
        (r["agent_id"], r["agent_name"], r["total_interactions"], r["resolved_interactions"])
        for r in gold["agent_performance"]
    )
