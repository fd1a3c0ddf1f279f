"""An independent, pure-Python reference implementation of the data contract.

This module reads source folders of the nine CSV extracts and computes, straight from
``CONTRACT.md`` (sections 1 to 3), what the warehouse must hold: the silver tables, the
rejected rows of ``audit.rejected_rows`` and the five gold relations. End-to-end tests
compare the dbt project's figures with these. It deliberately shares no logic with the
loader or the dbt models; only the table of extracts (``loader.contract``) is reused.

Judgement calls where the contract leaves room (each one also noted where it is made):

* Records are split by :func:`csv.reader` with ``strict=True``. A record whose field count
  differs from the header's, or on which the reader raises (broken quoting, e.g. ``"a"b``
  or an unterminated quote), is ``malformed_line``. A malformed record costs one physical
  line (CONTRACT.md section 2): when it would span several lines, only its first line is
  the malformed record and reading starts again at the next line. Physical lines end at
  LF, CRLF or a lone CR; the file is cut into them first, and each record is parsed from
  the line it starts on.
  A stray quote inside an unquoted field (``ab"c``) is accepted as text, as the csv module
  does. Only lines that are completely empty are skipped; a line of spaces is a record
  (and malformed, having one field). The field size limit is lifted while reading.
* ``source_row`` counts records, header excluded, skipping blank lines; a record spanning
  lines counts once. ``load_index`` is the 0-based position of the source folder in the
  ``sources`` argument.
* Trimming removes ASCII white space (space, tab, CR, LF, VT, FF) at both ends.
* ``record_key`` is the trimmed key text, a NULL key column as the empty string, composite
  keys joined with ``|`` (LoyaltyTransactions: ``LoyaltyID|DateTime`` as written). For a
  malformed record it is built the same way when the record has a field at every key
  position of the header, else ``None`` (``None`` when the csv reader raised on a
  one-line record). For a malformed record cut to its first line, the fields are those
  that line completes (the field its open quote starts is not one).
* INT: ``^[+-]?[0-9]+$`` within the 32-bit range. DECIMAL: ``^[+-]?[0-9]+(\\.[0-9]+)?$``
  (so ``5.`` and ``.5`` are invalid); at most 8 digits before the point not counting
  leading zeros; rounded half away from zero to 2 places; a value that rounds beyond
  99999999.99 in magnitude is invalid. ``-0.00`` is stored as ``0.00``.
* DATETIME: ``YYYY-MM-DD HH:MM:SS`` or with ``T``, optional ``.`` and 1+ fraction digits,
  truncated to microseconds (as DuckDB does). Years 0001 to 9999. DATE: ``YYYY-MM-DD``.
* Text length is counted in characters after trimming.
* Key equality (duplicates, foreign keys) is on typed values: ``007`` and ``7`` are the
  same key, as are ``2025-01-01 10:00:00`` and ``2025-01-01T10:00:00.000``.
* Tier ranking knows only ``Bronze`` < ``Silver`` < ``Gold`` < ``Platinum`` (exact case).
  Accounts whose tier is NULL or another text do not take part: a customer whose accounts
  have no known tier has tier NULL.
* average_order_value: ``order_count`` counts every transaction (also a NULL amount);
  ``total_amount`` is the SQL ``SUM`` of amounts (NULLs ignored, NULL when all are NULL);
  ``average_order_value = total_amount / order_count`` unrounded (NULL with a NULL
  total). ``resolution_rate`` is likewise an unrounded ``Decimal``. Compare these two with
  a tolerance.
* customer_segments / customer_360: spends add the non-NULL amounts (0 when none);
  ``loyalty_points`` adds the non-NULL ``points_earned`` (0 when none).
* agent_performance: interactions whose ``agent_id`` is NULL belong to no agent.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from loader.contract import EXTRACTS, Column, Extract

Row = dict[str, Any]

INT_MIN = -2147483648
INT_MAX = 2147483647
CENT = Decimal("0.01")
DECIMAL_MAX = Decimal("99999999.99")
WHITESPACE = " \t\r\n\x0b\x0c"

# Silver column names of CONTRACT.md section 3, in the order of each extract's columns.
SILVER_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "email", "address"),
    "products": ("product_id", "name", "category", "price"),
    "stores": ("store_id", "location", "manager", "open_hours"),
    "agents": ("agent_id", "name", "department", "shift"),
    "online_transactions": (
        "order_id", "customer_id", "product_id", "ordered_at", "payment_method", "amount",
        "status",
    ),
    "instore_transactions": (
        "transaction_id", "customer_id", "store_id", "purchased_at", "amount",
        "payment_method",
    ),
    "customer_service_interactions": (
        "interaction_id", "customer_id", "interaction_at", "agent_id", "issue_type",
        "resolution_status",
    ),
    "loyalty_accounts": ("loyalty_id", "customer_id", "points_earned", "tier_level", "joined_on"),
    "loyalty_transactions": ("loyalty_id", "changed_at", "points_change", "reason"),
}  # fmt: skip

# Parents before children, so that foreign keys can be checked against silver parents.
TABLE_ORDER: tuple[str, ...] = (
    "customers",
    "products",
    "stores",
    "agents",
    "online_transactions",
    "instore_transactions",
    "customer_service_interactions",
    "loyalty_accounts",
    "loyalty_transactions",
)

GOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "average_order_value": (
        "channel", "product_id", "product_name", "category", "store_id", "store_location",
        "order_count", "total_amount", "average_order_value",
    ),
    "customer_segments": ("customer_id", "total_spend", "total_orders", "tier_level", "segment"),
    "peak_times": ("channel", "day_name", "day_of_week", "hour", "total_transactions"),
    "agent_performance": (
        "agent_id", "agent_name", "total_interactions", "resolved_interactions",
        "resolution_rate",
    ),
    "customer_360": (
        "customer_id", "name", "email", "online_orders", "online_spend", "instore_transactions",
        "instore_spend", "total_spend", "first_purchase_at", "last_purchase_at", "loyalty_tier",
        "loyalty_points", "service_interactions", "unresolved_interactions", "segment",
    ),
}  # fmt: skip

REJECTED_COLUMNS: tuple[str, ...] = (
    "source_table",
    "reason",
    "record_key",
    "source_file",
    "source_row",
    "load_index",
)

TIER_RANK: dict[str, int] = {"Bronze": 1, "Silver": 2, "Gold": 3, "Platinum": 4}
DAY_NAMES: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


class SourceError(Exception):
    """A source that the contract says must be refused (missing file or column)."""


# --------------------------------------------------------------------------------------
# Value formats (CONTRACT.md section 1)
# --------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")
_DECIMAL_RE = re.compile(r"[+-]?([0-9]+)(?:\.[0-9]+)?")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
)
_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def trim(text: str | None) -> str | None:
    """Trim surrounding ASCII white space; an empty result (or ``None``) is NULL (``None``)."""
    if text is None:
        return None
    text = text.strip(WHITESPACE)
    return text or None


def parse_int(text: str) -> int:
    """INT: an optional sign and ASCII decimal digits, within the 32-bit range.

    Raises ``ValueError`` otherwise (``7.5``, ``1e3``, ``0x1F``, ``1_000``, ``12a``, ...).
    """
    if not _INT_RE.fullmatch(text):
        raise ValueError(f"not an integer: {text!r}")
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(f"integer out of range: {text!r}")
    return value


def parse_decimal(text: str) -> Decimal:
    """DECIMAL(10,2): sign, digits, optionally ``.`` and digits; at most 8 integer digits.

    Leading zeros are not counted among the 8 digits. The value is rounded half away from
    zero to 2 places; if rounding carries it past 99999999.99 it is invalid. ``5.`` and
    ``.5`` are invalid (the point must come between digits). Raises ``ValueError``.
    """
    match = _DECIMAL_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a decimal: {text!r}")
    if len(match.group(1).lstrip("0")) > 8:
        raise ValueError(f"decimal has more than 8 digits before the point: {text!r}")
    value = Decimal(text).quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(value) > DECIMAL_MAX:
        raise ValueError(f"decimal overflows DECIMAL(10,2) when rounded: {text!r}")
    if value == 0:
        value = Decimal("0.00")  # no negative zero
    return value


def parse_datetime(text: str) -> datetime:
    """DATETIME: ``YYYY-MM-DD HH:MM:SS`` (or ``T`` for the space), optional ``.fraction``.

    The date and time must be real (hours 0-23, minutes and seconds 0-59). Fractional
    seconds beyond microseconds are truncated. Raises ``ValueError``.
    """
    match = _DATETIME_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a datetime: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    microsecond = int(fraction[:6].ljust(6, "0"))
    return datetime(year, month, day, hour, minute, second, microsecond)


def parse_date(text: str) -> date:
    """DATE: ``YYYY-MM-DD``, a real calendar date. Raises ``ValueError``."""
    match = _DATE_RE.fullmatch(text)
    if not match:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = (int(g) for g in match.groups())
    return date(year, month, day)


def parse_value(column: Column, text: str) -> Any:
    """Parse the (trimmed, non-NULL) ``text`` as ``column``'s type; ``ValueError`` if not."""
    if column.type == "int":
        return parse_int(text)
    if column.type == "decimal":
        return parse_decimal(text)
    if column.type == "datetime":
        return parse_datetime(text)
    if column.type == "date":
        return parse_date(text)
    if column.type == "text":
        if column.length is not None and len(text) > column.length:
            raise ValueError(f"text longer than {column.length} characters")
        return text
    raise AssertionError(f"unknown column type {column.type!r}")


# --------------------------------------------------------------------------------------
# Reading a file into records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One data record that could be split into the header's columns."""

    load_index: int
    source_file: str
    source_row: int
    values: dict[str, str | None]  # raw column name -> trimmed text, None for NULL


@dataclass
class FileRead:
    """The outcome of reading one file: its well-formed records and its malformed ones."""

    records: list[Record] = field(default_factory=list)
    malformed: list[Row] = field(default_factory=list)
    record_count: int = 0


PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _parse_from(lines: list[str], start: int) -> tuple[list[str] | None, int]:
    """Parse the record that starts at ``lines[start]``: (its fields, or ``None`` if the
    csv reader refused it; how many lines it took)."""
    taken = 0

    def feed() -> Iterator[str]:
        nonlocal taken
        for line in lines[start:]:
            taken += 1
            yield line

    try:
        fields = next(csv.reader(feed(), strict=True))
    except csv.Error:
        return None, taken
    return fields, taken


def _csv_records(path: Path) -> Iterator[tuple[list[str] | None, bool]]:
    """Yield ``(fields, malformed)`` for the header, then for each record.

    ``fields`` is ``None`` for a record the csv reader refused. Completely blank lines
    (the reader's ``[]``) are skipped. A malformed record (refused, or a field count
    other than the header's) that took several lines is its first line only, and the
    next record starts on the line after it.
    """
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        lines = PHYSICAL_LINE.findall(handle.read())
    at, width = 0, None
    while at < len(lines):
        fields, taken = _parse_from(lines, at)
        if fields == []:
            at += taken
            continue
        if width is None:
            width = len(fields) if fields is not None else -1
            yield fields, fields is None
            at += taken
            continue
        malformed = fields is None or len(fields) != width
        if malformed and taken > 1:
            # Only the first line: the fields it completes, before its open quote.
            first = next(csv.reader([lines[at]]))
            yield first[:-1], True
            at += 1
            continue
        yield fields, malformed
        at += taken


def read_file(path: Path, extract: Extract, load_index: int) -> FileRead:
    """Read one extract file: map the header, number the records, find malformed ones.

    Raises :class:`SourceError` when the file lacks a required column (or has no header).
    """
    out = FileRead()
    records = _csv_records(path)
    header, broken = next(records, (None, True))
    if header is None or broken:
        raise SourceError(f"{extract.file}: no header row (or broken header)")
    positions: dict[str, int] = {}
    normalised = [h.strip(WHITESPACE).lower() for h in header]
    for column in extract.columns:
        wanted = column.header.lower()
        if wanted not in normalised:
            raise SourceError(f"{extract.file}: missing column {column.header}")
        positions[column.name] = normalised.index(wanted)  # first match wins
    key_positions = [positions[k] for k in extract.primary_key]

    for row_number, (fields, malformed) in enumerate(records, start=1):
        out.record_count = row_number
        if fields is None or malformed:
            key: str | None = None
            if fields is not None and all(p < len(fields) for p in key_positions):
                key = "|".join(trim(fields[p]) or "" for p in key_positions)
            out.malformed.append(_rejection(extract, "malformed_line", key, row_number, load_index))
            continue
        values = {name: trim(fields[pos]) for name, pos in positions.items()}
        out.records.append(Record(load_index, extract.file, row_number, values))
    return out


def _rejection(
    extract: Extract, reason: str, key: str | None, source_row: int, load_index: int
) -> Row:
    return {
        "source_table": extract.source_table,
        "reason": reason,
        "record_key": key,
        "source_file": extract.file,
        "source_row": source_row,
        "load_index": load_index,
    }


# --------------------------------------------------------------------------------------
# Classifying records (CONTRACT.md section 2)
# --------------------------------------------------------------------------------------


@dataclass
class Classified:
    """A table's silver rows (typed, raw column names) and its rejections."""

    rows: list[tuple[Record, dict[str, Any]]]
    rejected: list[Row]


def classify(
    extract: Extract, records: Sequence[Record], parent_keys: dict[str, set[Any]]
) -> Classified:
    """Give every well-formed record of one table its fate: silver, or a reason.

    ``records`` must be in load order (load index, then record number). ``parent_keys``
    maps a parent table to its silver key values.
    """
    columns = {c.name: c for c in extract.columns}
    key_columns = extract.primary_key
    rejected: list[Row] = []
    candidates: list[tuple[Record, dict[str, Any]]] = []

    for record in records:
        key_texts = [record.values[k] for k in key_columns]
        record_key = "|".join(t or "" for t in key_texts)

        def reject(reason: str, record: Record = record, record_key: str = record_key) -> None:
            rejected.append(
                _rejection(extract, reason, record_key, record.source_row, record.load_index)
            )

        if any(t is None for t in key_texts):
            reject("missing_key")
            continue
        typed: dict[str, Any] = {}
        try:
            for k in key_columns:
                typed[k] = parse_value(columns[k], record.values[k] or "")
        except ValueError:
            reject("invalid_key")
            continue
        try:
            for name, column in columns.items():
                if name in typed:
                    continue
                text = record.values[name]
                typed[name] = None if text is None else parse_value(column, text)
        except ValueError:
            reject("invalid_value")
            continue
        if any(
            typed[fk.column] is not None and typed[fk.column] not in parent_keys[fk.parent]
            for fk in extract.foreign_keys
        ):
            reject("orphan_reference")
            continue
        candidates.append((record, typed))

    # Last occurrence wins: later load, then later record in the same file.
    candidates.sort(key=lambda c: (c[0].load_index, c[0].source_row))
    winner: dict[tuple[Any, ...], int] = {}
    for i, (_, typed) in enumerate(candidates):
        winner[tuple(typed[k] for k in key_columns)] = i
    kept = set(winner.values())
    rows: list[tuple[Record, dict[str, Any]]] = []
    for i, (record, typed) in enumerate(candidates):
        if i in kept:
            rows.append((record, typed))
        else:
            key = "|".join(record.values[k] or "" for k in key_columns)
            rejected.append(
                _rejection(
                    extract, "duplicate_superseded", key, record.source_row, record.load_index
                )
            )
    rows.sort(key=lambda r: tuple(r[1][k] for k in key_columns))
    return Classified(rows, rejected)


# --------------------------------------------------------------------------------------
# Result and entry point
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    """What the warehouse must hold after loading ``sources`` in order.

    * ``silver[table]``: rows with the contract's silver column names, typed values,
      sorted by primary key.
    * ``lineage[table]``: per silver row (same order), ``{"load_index", "source_file",
      "source_row"}`` of the record it came from.
    * ``rejected``: ``audit.rejected_rows`` plus ``load_index``, sorted by table, load,
      row.
    * ``records[(load_index, source_file)]``: number of data records in that file.
    * ``gold[name]``: the five gold relations, with exactly the contract's columns.
    """

    silver: dict[str, list[Row]]
    lineage: dict[str, list[Row]]
    rejected: list[Row]
    records: dict[tuple[int, str], int]
    gold: dict[str, list[Row]]

    def rejected_in(self, source_table: str) -> list[Row]:
        """The rejections of one file base name, e.g. ``OnlineTransactions``."""
        return [r for r in self.rejected if r["source_table"] == source_table]

    def reasons(self) -> dict[tuple[str, str, int, int], str]:
        """``(source_table, source_file, load_index, source_row) -> reason``."""
        return {
            (r["source_table"], r["source_file"], r["load_index"], r["source_row"]): r["reason"]
            for r in self.rejected
        }


def compute(
    sources: Sequence[Path],
    *,
    high_value_min_spend: Decimal = Decimal(1000),
    loyalty_champion_tiers: tuple[str, ...] = ("Gold",),
) -> Result:
    """Compute silver, audit and gold from ``sources`` (folders of the nine CSVs, in load order).

    Raises :class:`SourceError` if a source lacks a file or a file lacks a column.
    """
    by_table = {e.table: e for e in EXTRACTS}
    sources = [Path(s) for s in sources]
    for source in sources:
        for extract in EXTRACTS:
            if not (source / extract.file).is_file():
                raise SourceError(f"{source}: missing file {extract.file}")

    old_limit = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        reads: dict[str, list[FileRead]] = {
            table: [
                read_file(source / by_table[table].file, by_table[table], i)
                for i, source in enumerate(sources)
            ]
            for table in TABLE_ORDER
        }
    finally:
        csv.field_size_limit(old_limit)

    silver_typed: dict[str, list[dict[str, Any]]] = {}
    silver: dict[str, list[Row]] = {}
    lineage: dict[str, list[Row]] = {}
    rejected: list[Row] = []
    records: dict[tuple[int, str], int] = {}
    silver_keys: dict[str, set[Any]] = {}

    for table in TABLE_ORDER:
        extract = by_table[table]
        table_records: list[Record] = []
        for i, read in enumerate(reads[table]):
            records[(i, extract.file)] = read.record_count
            rejected.extend(read.malformed)
            table_records.extend(read.records)
        classified = classify(extract, table_records, silver_keys)
        rejected.extend(classified.rejected)
        silver_typed[table] = [typed for _, typed in classified.rows]
        names = SILVER_COLUMNS[table]
        silver[table] = [
            {s: typed[c.name] for s, c in zip(names, extract.columns, strict=True)}
            for _, typed in classified.rows
        ]
        lineage[table] = [
            {"load_index": r.load_index, "source_file": r.source_file, "source_row": r.source_row}
            for r, _ in classified.rows
        ]
        if len(extract.primary_key) == 1:
            silver_keys[table] = {typed[extract.primary_key[0]] for typed in silver_typed[table]}

    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    file_table = {by_table[t].source_table: t for t in TABLE_ORDER}
    rejected.sort(
        key=lambda r: (order[file_table[r["source_table"]]], r["load_index"], r["source_row"])
    )
    gold = compute_gold(
        silver,
        high_value_min_spend=high_value_min_spend,
        loyalty_champion_tiers=loyalty_champion_tiers,
    )
    return Result(silver, lineage, rejected, records, gold)


# --------------------------------------------------------------------------------------
# Gold (CONTRACT.md section 3)
# --------------------------------------------------------------------------------------


def _sum(values: Iterable[Any]) -> Any:
    """SQL ``SUM``: NULLs ignored; NULL when there is no non-NULL value."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return sum(present[1:], present[0])


def _group(rows: Iterable[Row], key: Callable[[Row], Any]) -> dict[Any, list[Row]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def highest_tier(tiers: Iterable[str | None]) -> str | None:
    """The highest known tier (Platinum > Gold > Silver > Bronze); NULL/unknown ignored."""
    known = [t for t in tiers if t in TIER_RANK]
    return max(known, key=TIER_RANK.__getitem__) if known else None


def segment_of(
    total_spend: Decimal,
    total_orders: int,
    tier_level: str | None,
    *,
    high_value_min_spend: Decimal = Decimal(1000),
    loyalty_champion_tiers: tuple[str, ...] = ("Gold",),
) -> str:
    """The first of the four segment rules that holds."""
    if total_spend >= high_value_min_spend:
        return "High-Value"
    if total_orders == 1:
        return "One-Time Buyer"
    if tier_level is not None and tier_level in loyalty_champion_tiers:
        return "Loyalty Champion"
    return "Regular"


def compute_gold(
    silver: dict[str, list[Row]],
    *,
    high_value_min_spend: Decimal = Decimal(1000),
    loyalty_champion_tiers: tuple[str, ...] = ("Gold",),
) -> dict[str, list[Row]]:
    """The five gold relations from the silver tables (silver column names)."""
    customers = silver["customers"]
    products = {p["product_id"]: p for p in silver["products"]}
    stores = {s["store_id"]: s for s in silver["stores"]}
    agents = {a["agent_id"]: a for a in silver["agents"]}
    online = silver["online_transactions"]
    instore = silver["instore_transactions"]
    interactions = silver["customer_service_interactions"]
    accounts = silver["loyalty_accounts"]

    # average_order_value: two grains, Online per product and InStore per store.
    aov: list[Row] = []
    by_product = _group(
        (o for o in online if o["product_id"] is not None), lambda o: o["product_id"]
    )
    for product_id in sorted(by_product):
        orders = by_product[product_id]
        product = products[product_id]  # guaranteed by the orphan check
        total = _sum(o["amount"] for o in orders)
        aov.append(
            {
                "channel": "Online",
                "product_id": product_id,
                "product_name": product["name"],
                "category": product["category"],
                "store_id": None,
                "store_location": None,
                "order_count": len(orders),
                "total_amount": total,
                "average_order_value": None if total is None else total / len(orders),
            }
        )
    by_store = _group((t for t in instore if t["store_id"] is not None), lambda t: t["store_id"])
    for store_id in sorted(by_store):
        purchases = by_store[store_id]
        total = _sum(t["amount"] for t in purchases)
        aov.append(
            {
                "channel": "InStore",
                "product_id": None,
                "product_name": None,
                "category": None,
                "store_id": store_id,
                "store_location": stores[store_id]["location"],
                "order_count": len(purchases),
                "total_amount": total,
                "average_order_value": None if total is None else total / len(purchases),
            }
        )

    # Per-customer facts.
    online_by_customer = _group(online, lambda o: o["customer_id"])
    instore_by_customer = _group(instore, lambda t: t["customer_id"])
    interactions_by_customer = _group(interactions, lambda i: i["customer_id"])
    accounts_by_customer = _group(accounts, lambda a: a["customer_id"])

    segments: list[Row] = []
    c360: list[Row] = []
    for customer in customers:
        cid = customer["customer_id"]
        orders = online_by_customer.get(cid, [])
        purchases = instore_by_customer.get(cid, [])
        its = interactions_by_customer.get(cid, [])
        accs = accounts_by_customer.get(cid, [])
        online_spend = _sum(o["amount"] for o in orders) or Decimal("0.00")
        instore_spend = _sum(t["amount"] for t in purchases) or Decimal("0.00")
        tier = highest_tier(a["tier_level"] for a in accs)
        segment = segment_of(
            online_spend,
            len(orders),
            tier,
            high_value_min_spend=high_value_min_spend,
            loyalty_champion_tiers=loyalty_champion_tiers,
        )
        segments.append(
            {
                "customer_id": cid,
                "total_spend": online_spend,
                "total_orders": len(orders),
                "tier_level": tier,
                "segment": segment,
            }
        )
        stamps = [o["ordered_at"] for o in orders if o["ordered_at"] is not None]
        stamps += [t["purchased_at"] for t in purchases if t["purchased_at"] is not None]
        c360.append(
            {
                "customer_id": cid,
                "name": customer["name"],
                "email": customer["email"],
                "online_orders": len(orders),
                "online_spend": online_spend,
                "instore_transactions": len(purchases),
                "instore_spend": instore_spend,
                "total_spend": online_spend + instore_spend,
                "first_purchase_at": min(stamps) if stamps else None,
                "last_purchase_at": max(stamps) if stamps else None,
                "loyalty_tier": tier,
                "loyalty_points": _sum(a["points_earned"] for a in accs) or 0,
                "service_interactions": len(its),
                "unresolved_interactions": sum(
                    1 for i in its if i["resolution_status"] != "Resolved"
                ),
                "segment": segment,
            }
        )

    # peak_times
    peak: list[Row] = []
    for channel, rows, column in (
        ("Online", online, "ordered_at"),
        ("InStore", instore, "purchased_at"),
    ):
        counts: dict[tuple[int, int], int] = defaultdict(int)
        for row in rows:
            stamp = row[column]
            if stamp is not None:
                counts[(stamp.isoweekday(), stamp.hour)] += 1
        for (dow, hour), n in sorted(counts.items()):
            peak.append(
                {
                    "channel": channel,
                    "day_name": DAY_NAMES[dow - 1],
                    "day_of_week": dow,
                    "hour": hour,
                    "total_transactions": n,
                }
            )

    # agent_performance
    perf: list[Row] = []
    by_agent = _group(
        (i for i in interactions if i["agent_id"] is not None), lambda i: i["agent_id"]
    )
    for agent_id in sorted(by_agent):
        its = by_agent[agent_id]
        resolved = sum(1 for i in its if i["resolution_status"] == "Resolved")
        perf.append(
            {
                "agent_id": agent_id,
                "agent_name": agents[agent_id]["name"],
                "total_interactions": len(its),
                "resolved_interactions": resolved,
                "resolution_rate": Decimal(resolved) / Decimal(len(its)),
            }
        )

    return {
        "average_order_value": aov,
        "customer_segments": segments,
        "peak_times": peak,
        "agent_performance": perf,
        "customer_360": c360,
    }
