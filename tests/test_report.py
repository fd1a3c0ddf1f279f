"""The Customer 360 dashboard (`python -m loader report`): one self-contained HTML file.

The browser test opens it in headless Chromium with every network request refused,
and checks that it renders without console errors and shows the warehouse's numbers:
each figure is asserted against a SQL query of the same DuckDB file.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from loader.cli import main
from loader.errors import LoaderError
from loader.report import DAYS, read_day, write_report
from tests.browser import chromium, screenshot
from tests.warehouse_fixture import Warehouse, built_warehouse


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return built_warehouse(tmp_path_factory)


@pytest.fixture(scope="module")
def report(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "reports" / "customer360.html"
    assert main(["report", "--duckdb", str(warehouse.db), "--out", str(out), "--quiet"]) == 0
    return out


CENT = Decimal("0.01")


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------ the reading of days


def totals(*values: int) -> dict[str, int]:
    return dict(zip(DAYS, values, strict=True))


def test_the_seeds_reading_is_read_from_the_data():
    r = read_day("All", totals(40, 55, 60, 45, 20, 15, 12))
    assert r.peak_days == ("Wednesday", "Tuesday")
    assert r.quiet_days == ("Friday", "Saturday", "Sunday")
    assert r.sentence == "Wednesday and Tuesday peak, Friday to Sunday quiet"


def test_the_reading_follows_the_data_not_the_seed():
    r = read_day("Online", totals(9, 1, 2, 3, 8, 7, 6))
    assert r.peak_days == ("Monday", "Friday")
    assert r.quiet_days == ("Tuesday", "Wednesday", "Thursday")
    assert r.sentence == "Monday and Friday peak, Tuesday to Thursday quiet"


def test_tied_days_are_kept_together():
    r = read_day("All", totals(60, 60, 65, 55, 32, 24, 22))
    assert r.peak_days == ("Wednesday", "Monday", "Tuesday")
    assert r.quiet_days == ("Friday", "Saturday", "Sunday")
    r = read_day("All", totals(5, 1, 5, 1, 3, 1, 3))
    assert r.quiet_days == ("Tuesday", "Thursday", "Saturday")
    assert r.sentence == "Monday and Wednesday peak, Tuesday, Thursday and Saturday quiet"


def test_no_transactions_says_so():
    assert read_day("All", totals(0, 0, 0, 0, 0, 0, 0)).sentence == (
        "no transactions with a timestamp"
    )


# ----------------------------------------------------------------------- the command


def test_without_gold_the_command_says_to_run_dbt_build(tmp_path: Path, capsys):
    db = tmp_path / "raw-only.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema raw; create table raw.customers (customer_id varchar)")
    con.close()
    out = tmp_path / "r.html"
    assert main(["report", "--duckdb", str(db), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "gold.customer_segments" in err and "run `dbt build` first" in err
    assert not out.exists()
    with pytest.raises(LoaderError, match="no warehouse at"):
        write_report(tmp_path / "missing.duckdb", out)


def test_the_report_is_one_file_that_fetches_nothing(report: Path):
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]*\bsrc\s*=", page), "a script is loaded from elsewhere"
    assert "<link" not in page and "@import" not in page and "<iframe" not in page
    assert page.count("Plotly.newPlot") >= 6
    assert [p.name for p in report.parent.iterdir()] == ["customer360.html"]


# ------------------------------------------------------------------------ in Chromium


def dom(page, figure: str) -> list[dict[str, str]]:
    """The data-* attributes of every row of a numbers table."""
    return page.evaluate(
        "(f) => [...document.querySelectorAll(`table[data-figure='${f}'] tbody tr`)]"
        ".map(r => ({...r.dataset}))",
        figure,
    )


def test_the_dashboard_renders_offline_with_the_warehouses_numbers(
    report: Path, warehouse: Warehouse
):
    db = warehouse.db
    with chromium() as browser:
        page, log = browser.page(width=1400, height=1000)
        page.goto(report.as_uri())
        page.wait_for_function(
            "() => [...document.querySelectorAll('.js-plotly-plot')]"
            ".every(p => p.querySelector('.main-svg'))"
        )
        plots = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => p.id)"
        )
        assert plots == [
            "fig-segments",
            "fig-weekdays",
            "fig-heatmap-online",
            "fig-heatmap-instore",
            "fig-aov-category",
            "fig-aov-location",
            "fig-agents",
            "fig-rejections",
        ]
        assert page.evaluate("() => typeof Plotly") == "object"
        assert (
            page.evaluate(
                "() => [...document.querySelectorAll('script[src], link, img[src], iframe')].length"
            )
            == 0
        )

        # Segment share: count and percent, as the warehouse says.
        expected = {
            s: (n, p)
            for s, n, p in query(
                db,
                "select segment, count(*), round(100 * count(*)::decimal(18, 4) / "
                "sum(count(*)) over (), 1)::decimal(18, 1) from gold.customer_segments "
                "group by segment",
            )
        }
        shown = {
            r["segment"]: (int(r["customers"]), Decimal(r["percent"]))
            for r in dom(page, "segments")
            if int(r["customers"])
        }
        assert shown == expected
        pie = page.evaluate(
            "() => { const d = document.getElementById('fig-segments').data[0];"
            " return Object.fromEntries(d.labels.map((l, i) => [l, d.values[i]])) }"
        )
        assert pie == {s: n for s, (n, _) in expected.items()}
        assert page.locator("table[data-figure=segments]").inner_text().count("%") == 4

        # Weekday x hour heatmaps, per channel, cell by cell.
        for channel in ("Online", "InStore"):
            grid = [[0] * 24 for _ in range(7)]
            for dow, hour, n in query(
                db,
                "select day_of_week, hour, total_transactions from gold.peak_times "
                f"where channel = '{channel}'",
            ):
                grid[dow - 1][hour] = n
            z = page.evaluate(
                f"() => document.getElementById('fig-heatmap-{channel.lower()}').data[0].z"
            )
            assert z == grid, channel

        # Peak and quiet days, read from gold.peak_times by SQL.
        ranked = query(
            db,
            "with days as (select day_name, day_of_week, sum(total_transactions) as n "
            "from gold.peak_times group by day_name, day_of_week) "
            "select day_name, day_of_week, rank() over (order by n desc), "
            "rank() over (order by n) from days",
        )
        peak = {d for d, _, busy, _ in ranked if busy <= 2}
        quiet = {d for d, _, busy, calm in ranked if calm <= 3 and busy > 2}
        reading = page.locator("#weekday-reading")
        assert set(reading.get_attribute("data-peak-days").split(",")) == peak
        assert set(reading.get_attribute("data-quiet-days").split(",")) == quiet
        text = reading.inner_text()
        assert all(d in text.split(" peak")[0] for d in peak)
        assert text.endswith("quiet.")
        per_day = dict(
            query(
                db,
                "select day_name, sum(total_transactions) from gold.peak_times group by day_name",
            )
        )
        assert {r["day"]: int(r["all"]) for r in dom(page, "weekdays")} == {
            d: per_day.get(d, 0) for d in DAYS
        }

        # Average order value by category (online) and by store location (in store).
        for figure, column, channel in (
            ("aov-category", "category", "Online"),
            ("aov-location", "store_location", "InStore"),
        ):
            expected_aov = {
                label: (n, total, (total / n).quantize(CENT, ROUND_HALF_UP))
                for label, n, total in query(
                    db,
                    f"select {column}, sum(order_count), sum(total_amount) "
                    f"from gold.average_order_value where channel = '{channel}' "
                    f"and {column} is not null group by {column}",
                )
            }
            shown_aov = {
                r["label"]: (int(r["orders"]), Decimal(r["total"]), Decimal(r["average"]))
                for r in dom(page, figure)
            }
            assert shown_aov == expected_aov, figure
            bars = page.evaluate(f"() => document.getElementById('fig-{figure}').data[0].x.length")
            assert bars == min(len(expected_aov), 40)

        # Agent resolution rate: every agent, and the overall rate.
        agents = {
            a: (t, r, rate)
            for a, t, r, rate in query(
                db,
                "select agent_id, total_interactions, resolved_interactions, resolution_rate "
                "from gold.agent_performance",
            )
        }
        shown_agents = {
            int(r["agent"]): (int(r["total"]), int(r["resolved"]), Decimal(r["rate"]))
            for r in dom(page, "agents")
        }
        assert shown_agents == agents
        resolved, total = query(
            db,
            "select sum(resolved_interactions), sum(total_interactions) "
            "from gold.agent_performance",
        )[0]
        kpi = page.locator("[data-kpi=resolution-rate]")
        assert Decimal(kpi.get_attribute("data-value")) == round(
            Decimal(resolved) / Decimal(total), 6
        )
        assert kpi.locator(".value").inner_text() == f"{resolved / total:.1%}"

        # The headline numbers, from gold.customer_360.
        customers, orders, instore = query(
            db,
            "select count(*), sum(online_orders), sum(instore_transactions) from gold.customer_360",
        )[0]
        assert page.locator("[data-kpi=customers] .value").inner_text() == f"{customers:,}"
        assert page.locator("[data-kpi=online-orders]").get_attribute("data-value") == str(orders)
        assert page.locator("[data-kpi=instore-transactions]").get_attribute("data-value") == str(
            instore
        )

        # Records refused, per extract and reason, from audit.rejected_rows.
        refused = query(
            db,
            "select source_table, reason, count(*) from audit.rejected_rows "
            "group by source_table, reason",
        )
        rows = {r["table"]: r for r in dom(page, "rejections")}
        for table, reason, n in refused:
            assert int(rows[table][reason]) == n, (table, reason)

        shot = screenshot(page, "dashboard", full_page=True)
        assert shot.stat().st_size > 50_000
        assert log.errors == [], log.errors
        assert log.blocked == [], f"the dashboard tried to fetch {log.blocked}"
