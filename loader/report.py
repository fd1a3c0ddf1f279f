"""The Customer 360 dashboard: one self-contained HTML file read from the gold relations.

The seed ended in Power BI visuals: the share of customers by segment, and transactions
by weekday and hour with the reading "Wednesday and Tuesday peak, Friday to Sunday
quiet". :func:`write_report` draws them, plus average order value by category and by
store location, the agents' resolution rate and the records refused by reason, from
``gold.*`` and ``audit.rejected_rows`` of a DuckDB warehouse, into one HTML file that
opens offline in any browser: plotly.js is embedded, no CDN, no web font, no link to
fetch.

Every figure is read from the warehouse (nothing is hard-coded): the peak and quiet
days are computed from ``gold.peak_times``. The numbers are written in the page's text
too, in tables whose rows carry ``data-*`` attributes, so that a person (or a browser
test) can check them against the warehouse.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import plotly.graph_objects as go

from loader.contract import EXTRACTS, REJECTION_REASONS
from loader.errors import LoaderError

GOLD_RELATIONS: tuple[str, ...] = (
    "customer_segments",
    "peak_times",
    "average_order_value",
    "agent_performance",
    "customer_360",
)
AUDIT_RELATIONS: tuple[str, ...] = ("rejected_rows",)
SEGMENTS: tuple[str, ...] = ("High-Value", "One-Time Buyer", "Loyalty Champion", "Regular")
SEGMENT_COLOURS: dict[str, str] = {
    "High-Value": "#1f5f99",
    "One-Time Buyer": "#e0a030",
    "Loyalty Champion": "#3a9a5b",
    "Regular": "#9aa5b1",
}
CHANNELS: tuple[str, ...] = ("Online", "InStore")
CHANNEL_COLOURS: dict[str, str] = {"Online": "#1f5f99", "InStore": "#e0a030"}
DAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
PEAK_DAYS = 2
QUIET_DAYS = 3
MAX_BARS = 40
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


@dataclass(frozen=True)
class SegmentShare:
    """How many customers fall in a segment, and their share of all customers."""

    segment: str
    customers: int
    percent: Decimal  # of all customers, rounded to 1 place


@dataclass(frozen=True)
class DayReading:
    """Transactions per weekday of one channel (or ``All``), and its peak and quiet days."""

    channel: str
    totals: dict[str, int]  # day name -> transactions, Monday first
    peak_days: tuple[str, ...]  # busiest first
    quiet_days: tuple[str, ...]  # in weekday order

    @property
    def sentence(self) -> str:
        """The reading in words, e.g. "Wednesday and Tuesday peak, Friday to Sunday quiet"."""
        if not any(self.totals.values()):
            return "no transactions with a timestamp"
        return f"{_and(self.peak_days)} peak, {_span(self.quiet_days)} quiet"


@dataclass(frozen=True)
class AverageValue:
    """Average order value of a group of gold.average_order_value rows (sum / count)."""

    label: str
    order_count: int
    total_amount: Decimal

    @property
    def average(self) -> Decimal:
        return _round(self.total_amount / self.order_count, "0.01")


@dataclass(frozen=True)
class AgentRate:
    """One row of gold.agent_performance."""

    agent_id: int
    agent_name: str
    total_interactions: int
    resolved_interactions: int
    resolution_rate: Decimal


@dataclass(frozen=True)
class Dashboard:
    """Everything the page shows, read from the warehouse."""

    warehouse: str
    generated_at: datetime
    customers: int
    online_orders: int
    instore_transactions: int
    total_spend: Decimal
    segments: list[SegmentShare]
    heatmaps: dict[str, list[list[int]]]  # channel -> 7 days x 24 hours
    readings: dict[str, DayReading]  # "All", "Online", "InStore"
    aov_by_category: list[AverageValue]
    aov_by_location: list[AverageValue]
    agents: list[AgentRate]
    rejections: dict[str, dict[str, int]]  # source_table -> reason -> records
    resolved_interactions: int = 0
    total_interactions: int = 0

    @property
    def resolution_rate(self) -> Decimal | None:
        """Resolved / total over every agent's interactions; None when there are none."""
        if not self.total_interactions:
            return None
        return Decimal(self.resolved_interactions) / Decimal(self.total_interactions)


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _and(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _span(days: Sequence[str]) -> str:
    """Consecutive weekdays as a range ("Friday to Sunday"), else listed."""
    idx = [DAYS.index(d) for d in days]
    if len(idx) >= 3 and idx == list(range(idx[0], idx[0] + len(idx))):
        return f"{days[0]} to {days[-1]}"
    return _and(days)


def read_day(channel: str, totals: dict[str, int]) -> DayReading:
    """Peak days: those with at least the second-highest total (busiest first); quiet days:
    those with at most the third-lowest total (weekday order). Ties are kept together."""
    ranked = sorted(DAYS, key=lambda d: (-totals[d], DAYS.index(d)))
    peak_floor = totals[ranked[PEAK_DAYS - 1]]
    quiet_ceiling = totals[ranked[-QUIET_DAYS]]
    peak = tuple(d for d in ranked if totals[d] >= peak_floor)
    quiet = tuple(d for d in DAYS if totals[d] <= quiet_ceiling and d not in peak)
    return DayReading(channel=channel, totals=dict(totals), peak_days=peak, quiet_days=quiet)


def _check_relations(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    found = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('gold', 'audit')"
        ).fetchall()
    }
    wanted = [f"gold.{r}" for r in GOLD_RELATIONS] + [f"audit.{r}" for r in AUDIT_RELATIONS]
    missing = [r for r in wanted if r not in found]
    if missing:
        raise LoaderError(
            f"the warehouse {path} has no {', '.join(missing)}: run `dbt build` first "
            "(after `python -m loader bootstrap`)"
        )


def read_dashboard(path: Path, *, now: datetime | None = None) -> Dashboard:
    """Read every figure of the dashboard from the gold relations of the DuckDB file."""
    if not path.is_file():
        raise LoaderError(
            f"no warehouse at {path}: run `python -m loader bootstrap` and `dbt build` first, "
            "or point --duckdb (or C360_DUCKDB_PATH) at one"
        )
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as e:
        raise LoaderError(f"cannot open the warehouse {path}: {e}") from e
    try:
        _check_relations(con, path)
        return _read(con, path, now or datetime.now(UTC))
    finally:
        con.close()


def _read(con: duckdb.DuckDBPyConnection, path: Path, now: datetime) -> Dashboard:
    customers, online_orders, instore, spend = con.execute(
        "select count(*), coalesce(sum(online_orders), 0), "
        "coalesce(sum(instore_transactions), 0), coalesce(sum(total_spend), 0) "
        "from gold.customer_360"
    ).fetchone()

    counts = dict(
        con.execute(
            "select segment, count(*) from gold.customer_segments group by segment"
        ).fetchall()
    )
    total = sum(counts.values())
    order = list(SEGMENTS) + sorted(s for s in counts if s not in SEGMENTS)
    segments = [
        SegmentShare(
            s,
            counts.get(s, 0),
            _round(Decimal(100 * counts.get(s, 0)) / total, "0.1") if total else Decimal(0),
        )
        for s in order
    ]

    heatmaps = {c: [[0] * 24 for _ in DAYS] for c in CHANNELS}
    for channel, dow, hour, n in con.execute(
        "select channel, day_of_week, hour, sum(total_transactions) from gold.peak_times "
        "group by channel, day_of_week, hour"
    ).fetchall():
        heatmaps.setdefault(channel, [[0] * 24 for _ in DAYS])[dow - 1][hour] += int(n)
    readings = {"All": read_day("All", {d: 0 for d in DAYS})}
    all_totals = {d: 0 for d in DAYS}
    for channel, grid in heatmaps.items():
        totals = {d: sum(grid[i]) for i, d in enumerate(DAYS)}
        for d in DAYS:
            all_totals[d] += totals[d]
        readings[channel] = read_day(channel, totals)
    readings["All"] = read_day("All", all_totals)

    def averages(sql: str) -> list[AverageValue]:
        return [
            AverageValue(str(label), int(n), Decimal(amount))
            for label, n, amount in con.execute(sql).fetchall()
            if n
        ]

    aov_by_category = averages(
        "select category, sum(order_count), sum(total_amount) from gold.average_order_value "
        "where channel = 'Online' and category is not null group by category "
        "order by sum(total_amount) / sum(order_count) desc, category"
    )
    aov_by_location = averages(
        "select store_location, sum(order_count), sum(total_amount) "
        "from gold.average_order_value where channel = 'InStore' "
        "and store_location is not null group by store_location "
        "order by sum(total_amount) / sum(order_count) desc, store_location"
    )
    agents = [
        AgentRate(int(a), str(n), int(t), int(r), Decimal(rate))
        for a, n, t, r, rate in con.execute(
            "select agent_id, agent_name, total_interactions, resolved_interactions, "
            "resolution_rate from gold.agent_performance "
            "order by resolution_rate desc, total_interactions desc, agent_id"
        ).fetchall()
    ]
    rejections: dict[str, dict[str, int]] = {}
    for table, reason, n in con.execute(
        "select source_table, reason, count(*) from audit.rejected_rows "
        "group by source_table, reason"
    ).fetchall():
        rejections.setdefault(str(table), {})[str(reason)] = int(n)
    return Dashboard(
        warehouse=str(path),
        generated_at=now,
        customers=int(customers),
        online_orders=int(online_orders),
        instore_transactions=int(instore),
        total_spend=Decimal(spend),
        segments=segments,
        heatmaps=heatmaps,
        readings=readings,
        aov_by_category=aov_by_category,
        aov_by_location=aov_by_location,
        agents=agents,
        rejections=rejections,
        resolved_interactions=sum(a.resolved_interactions for a in agents),
        total_interactions=sum(a.total_interactions for a in agents),
    )


# ---------------------------------------------------------------------------- figures


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        height=height,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"},
        template="plotly_white",
    )
    return fig


def figure_segments(d: Dashboard) -> go.Figure:
    """Donut of customers by segment, with count and percent."""
    shown = [s for s in d.segments if s.customers]
    fig = go.Figure(
        go.Pie(
            labels=[s.segment for s in shown],
            values=[s.customers for s in shown],
            hole=0.45,
            sort=False,
            direction="clockwise",
            marker={"colors": [SEGMENT_COLOURS.get(s.segment, "#666") for s in shown]},
            texttemplate="%{value}<br>%{percent:.1%}",
            textposition="inside",
            insidetextorientation="horizontal",
            hovertemplate="%{label}: %{value} customers (%{percent:.1%})<extra></extra>",
        )
    )
    return _layout(fig, "Share of customers by segment")


def figure_heatmap(d: Dashboard, channel: str) -> go.Figure:
    """Weekday x hour heatmap of one channel's transactions."""
    grid = d.heatmaps[channel]
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=list(range(24)),
            y=list(DAYS),
            colorscale="Blues",
            xgap=1,
            ygap=1,
            colorbar={"title": {"text": "transactions"}},
            hovertemplate="%{y} %{x}:00-%{x}:59: %{z} transactions<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="hour of day", dtick=1)
    r = d.readings[channel]
    return _layout(fig, f"{channel}: transactions by weekday and hour ({r.sentence})", 330)


def figure_weekdays(d: Dashboard) -> go.Figure:
    """Transactions per weekday, one bar per channel."""
    fig = go.Figure(
        [
            go.Bar(
                name=c,
                x=list(DAYS),
                y=[d.readings[c].totals[day] for day in DAYS],
                marker_color=CHANNEL_COLOURS.get(c),
            )
            for c in d.heatmaps
        ]
    )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.15})
    return _layout(fig, "Transactions by weekday, both channels")


def figure_averages(rows: Sequence[AverageValue], title: str, axis: str) -> go.Figure:
    """Horizontal bars of average order value, highest first (at most MAX_BARS)."""
    rows = list(rows)[:MAX_BARS]
    fig = go.Figure(
        go.Bar(
            x=[float(r.average) for r in rows],
            y=[r.label for r in rows],
            orientation="h",
            marker_color="#1f5f99",
            customdata=[[r.order_count, float(r.total_amount)] for r in rows],
            texttemplate="%{x:,.2f}",
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:,.2f} average over %{customdata[0]} orders "
            "(%{customdata[1]:,.2f})<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", title_text=axis)
    top = max((float(r.average) for r in rows), default=1.0)
    fig.update_xaxes(title_text="average order value", range=[0, top * 1.18])
    return _layout(fig, title, max(300, 60 + 22 * len(rows)))


def figure_agents(d: Dashboard) -> go.Figure:
    """Resolution rate per agent (the agents with the most interactions, at most MAX_BARS)."""
    top = sorted(d.agents, key=lambda a: (-a.total_interactions, a.agent_id))[:MAX_BARS]
    top.sort(key=lambda a: (-a.resolution_rate, -a.total_interactions, a.agent_id))
    fig = go.Figure(
        go.Bar(
            x=[float(a.resolution_rate) for a in top],
            y=[f"{a.agent_name} (#{a.agent_id})" for a in top],
            orientation="h",
            marker_color="#3a9a5b",
            customdata=[[a.resolved_interactions, a.total_interactions] for a in top],
            hovertemplate="%{y}: %{customdata[0]} of %{customdata[1]} resolved "
            "(%{x:.0%})<extra></extra>",
        )
    )
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text="resolution rate")
    fig.update_yaxes(autorange="reversed")
    title = "Agent resolution rate"
    if len(d.agents) > len(top):
        title += f" (the {len(top)} agents with the most interactions)"
    return _layout(fig, title, max(300, 60 + 16 * len(top)))


def _reasons(d: Dashboard) -> list[str]:
    seen = {r for by_reason in d.rejections.values() for r in by_reason}
    return list(REJECTION_REASONS) + sorted(seen - set(REJECTION_REASONS))


def _source_tables(d: Dashboard) -> list[str]:
    known = [e.file.removesuffix(".csv") for e in EXTRACTS]
    return known + sorted(set(d.rejections) - set(known))


def figure_rejections(d: Dashboard) -> go.Figure:
    """Refused records per reason (in the contract's order), stacked by extract."""
    reasons = _reasons(d)
    fig = go.Figure(
        [
            go.Bar(
                name=table,
                y=reasons,
                x=[d.rejections.get(table, {}).get(r, 0) for r in reasons],
                orientation="h",
                hovertemplate=f"{table}: %{{x}} records %{{y}}<extra></extra>",
            )
            for table in _source_tables(d)
            if d.rejections.get(table)
        ]
    )
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="records refused")
    return _layout(fig, "Records refused, by reason (audit.rejected_rows)", 360)


# ------------------------------------------------------------------------------- page

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #1d2733; background: #f4f6f8; }
header { background: #1f5f99; color: white; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
main { padding: 18px 28px; max-width: 1280px; margin: 0 auto; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin-bottom: 16px; }
.kpi { background: white; border-radius: 6px; padding: 12px 18px; min-width: 150px;
       box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.kpi .value { font-size: 24px; font-weight: 600; }
.kpi .label { font-size: 12px; color: #5b6775; }
section { background: white; border-radius: 6px; padding: 14px 18px; margin-bottom: 16px;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { margin: 0 0 8px; font-size: 18px; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 900px) { .grid { grid-template-columns: 1fr; } }
.reading { font-size: 16px; margin: 4px 0 10px; }
.reading strong { color: #1f5f99; }
table.numbers { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
table.numbers th, table.numbers td { padding: 3px 10px; border-bottom: 1px solid #e3e7eb;
                                     text-align: right; }
table.numbers th:first-child, table.numbers td:first-child { text-align: left; }
details summary { cursor: pointer; color: #1f5f99; font-size: 13px; margin-top: 6px; }
footer { color: #5b6775; font-size: 12px; padding: 0 28px 24px; text-align: center; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(value: Decimal) -> str:
    return f"{_round(value, '0.01'):,.2f}"


def _table(
    figure: str, head: Sequence[str], rows: Iterable[tuple[dict[str, object], Sequence[object]]]
) -> str:
    """A numbers table; each row's dict becomes its data-* attributes."""
    out = [f'<table class="numbers" data-figure="{_e(figure)}"><thead><tr>']
    out += [f"<th>{_e(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for attrs, cells in rows:
        data = " ".join(f'data-{k}="{_e(v)}"' for k, v in attrs.items())
        out.append(f"<tr {data}>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{_e(summary)}</summary>{body}</details>"


def render_html(d: Dashboard) -> str:
    """The whole page, plotly.js embedded once (no CDN, nothing fetched)."""
    plots: list[str] = []

    def plot(fig: go.Figure, div_id: str) -> str:
        first = not plots
        plots.append(div_id)
        return fig.to_html(
            include_plotlyjs=first, full_html=False, div_id=div_id, config=PLOTLY_CONFIG
        )

    rate = d.resolution_rate
    rate_text = f"{rate:.1%}" if rate is not None else "n/a"
    kpis = [
        ("customers", f"{d.customers:,}", d.customers),
        ("online-orders", f"{d.online_orders:,}", d.online_orders),
        ("instore-transactions", f"{d.instore_transactions:,}", d.instore_transactions),
        ("total-spend", _money(d.total_spend), _round(d.total_spend, "0.01")),
        ("resolution-rate", rate_text, "" if rate is None else _round(rate, "0.000001")),
    ]
    labels = {
        "customers": "customers",
        "online-orders": "online orders",
        "instore-transactions": "in-store transactions",
        "total-spend": "total spend (online + in store)",
        "resolution-rate": "service interactions resolved",
    }
    kpi_html = "".join(
        f'<div class="kpi" data-kpi="{k}" data-value="{_e(raw)}">'
        f'<div class="value">{_e(text)}</div><div class="label">{labels[k]}</div></div>'
        for k, text, raw in kpis
    )

    segments_table = _table(
        "segments",
        ["segment", "customers", "share"],
        (
            (
                {"segment": s.segment, "customers": s.customers, "percent": s.percent},
                [s.segment, f"{s.customers:,}", f"{s.percent}%"],
            )
            for s in d.segments
        ),
    )

    a = d.readings["All"]
    reading_html = (
        f'<p class="reading" id="weekday-reading" data-peak-days="{_e(",".join(a.peak_days))}" '
        f'data-quiet-days="{_e(",".join(a.quiet_days))}">'
        f"<strong>{_e(_and(a.peak_days))}</strong> peak, "
        f"<strong>{_e(_span(a.quiet_days))}</strong> quiet.</p>"
        '<p style="font-size:13px;color:#5b6775">Both channels together. Peak: the '
        f"{PEAK_DAYS} days with the most transactions; quiet: the {QUIET_DAYS} with the "
        "fewest (tied days are kept together). "
        + " ".join(
            f'{_e(c)}: <span class="channel-reading" data-channel="{_e(c)}" '
            f'data-peak-days="{_e(",".join(r.peak_days))}" '
            f'data-quiet-days="{_e(",".join(r.quiet_days))}">{_e(r.sentence)}</span>.'
            for c, r in d.readings.items()
            if c != "All"
        )
        + "</p>"
    )
    channels = [c for c in d.heatmaps]
    weekday_table = _table(
        "weekdays",
        ["day", *channels, "all"],
        (
            (
                {
                    "day": day,
                    **{c.lower(): d.readings[c].totals[day] for c in channels},
                    "all": a.totals[day],
                },
                [day, *(d.readings[c].totals[day] for c in channels), a.totals[day]],
            )
            for day in DAYS
        ),
    )

    def aov_table(figure: str, rows: Sequence[AverageValue], what: str) -> str:
        return _table(
            figure,
            [what, "orders", "total amount", "average order value"],
            (
                (
                    {
                        "label": r.label,
                        "orders": r.order_count,
                        "total": r.total_amount,
                        "average": r.average,
                    },
                    [r.label, f"{r.order_count:,}", _money(r.total_amount), _money(r.average)],
                )
                for r in rows
            ),
        )

    agents_table = _table(
        "agents",
        ["agent", "interactions", "resolved", "resolution rate"],
        (
            (
                {
                    "agent": g.agent_id,
                    "total": g.total_interactions,
                    "resolved": g.resolved_interactions,
                    "rate": g.resolution_rate,
                },
                [
                    f"{g.agent_name} (#{g.agent_id})",
                    g.total_interactions,
                    g.resolved_interactions,
                    f"{g.resolution_rate:.1%}",
                ],
            )
            for g in d.agents
        ),
    )

    reasons = _reasons(d)
    refused = sum(n for by_reason in d.rejections.values() for n in by_reason.values())
    rejections_table = _table(
        "rejections",
        ["extract", *reasons, "total"],
        (
            (
                {"table": t, **{r: d.rejections.get(t, {}).get(r, 0) for r in reasons}},
                [
                    t,
                    *(d.rejections.get(t, {}).get(r, 0) for r in reasons),
                    sum(d.rejections.get(t, {}).values()),
                ],
            )
            for t in _source_tables(d)
        ),
    )
    body = [
        f'<div class="kpis">{kpi_html}</div>',
        '<div class="grid">',
        '<section id="segments"><h2>Customer segments</h2>'
        + plot(figure_segments(d), "fig-segments")
        + f"{segments_table}</section>",
        f'<section id="weekdays"><h2>When customers buy</h2>{reading_html}'
        f"{plot(figure_weekdays(d), 'fig-weekdays')}"
        f"{_details('transactions per weekday', weekday_table)}</section>",
        "</div>",
        '<section id="heatmaps"><h2>Transactions by weekday and hour, per channel</h2>'
        + "".join(plot(figure_heatmap(d, c), f"fig-heatmap-{c.lower()}") for c in d.heatmaps)
        + "</section>",
        '<div class="grid">',
        '<section id="aov-category"><h2>Average order value by category (online)</h2>'
        + plot(
            figure_averages(d.aov_by_category, "Online orders, by product category", "category"),
            "fig-aov-category",
        )
        + _details("the numbers", aov_table("aov-category", d.aov_by_category, "category"))
        + "</section>",
        '<section id="aov-location"><h2>Average order value by store location (in store)</h2>'
        + plot(
            figure_averages(
                d.aov_by_location, "In-store transactions, by store location", "store location"
            ),
            "fig-aov-location",
        )
        + _details("the numbers", aov_table("aov-location", d.aov_by_location, "store location"))
        + "</section>",
        "</div>",
        f'<section id="agents"><h2>Agent resolution rate</h2><p class="reading">'
        f"<strong>{_e(rate_text)}</strong> of {d.total_interactions:,} service interactions "
        f"resolved, over {len(d.agents):,} agents.</p>"
        + plot(figure_agents(d), "fig-agents")
        + _details("every agent", agents_table)
        + "</section>",
        '<section id="rejections"><h2>Data quality</h2><p class="reading">'
        f"<strong>{refused:,}</strong> records refused and kept in audit.rejected_rows, "
        "each with the first reason that applies.</p>"
        + plot(figure_rejections(d), "fig-rejections")
        + _details("per extract", rejections_table)
        + "</section>",
    ]
    stamp = d.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Customer 360 dashboard</title><style>{CSS}</style></head><body>"
        "<header><h1>Customer 360 dashboard</h1>"
        f"<p>From the gold and audit relations of {_e(d.warehouse)}, {_e(stamp)}.</p></header>"
        f"<main>{''.join(body)}</main>"
        "<footer>Customer 360: gold.customer_segments, gold.peak_times, "
        "gold.average_order_value, gold.agent_performance, gold.customer_360 and "
        "audit.rejected_rows. "
        "Drawn with plotly, embedded: this file works offline.</footer>"
        "</body></html>\n"
    )


def write_report(duckdb_path: Path, out: Path) -> Dashboard:
    """Read the dashboard from the warehouse and write it to ``out`` (folders created)."""
    d = read_dashboard(duckdb_path)
    page = render_html(d)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return d
