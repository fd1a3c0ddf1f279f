"""Synthetic source folders: the nine extracts of CONTRACT.md section 1, with realistic dirt.

``generate_source(out, scale, seed)`` writes the nine CSV files into ``out``. Scale 1 is
the seed's size (100 customers, 200 online orders, ...: see :data:`BASE_COUNTS`); the
scale multiplies every table (``scale=50_000`` writes ten million online orders). Values
follow the seed report's domains: 2025-01 to 2025-03 timestamps, join dates 2020 to 2024,
fake but plausible names, e-mails and addresses from small word lists.

Dirt is what a real export holds, and every kind is in the scale-1 sample:

* planted records, spread evenly over each file at every scale (see :data:`PLANTED`), so
  that each kind is present however small the scale;
* random records, about 2 % of each file (:data:`DIRT_RATE`), drawn from the kinds of
  :data:`DIRT_WEIGHTS` that fit the file;
* file-level quirks (:data:`STYLES`): a UTF-8 byte-order mark, CRLF line ends, headers
  reordered, re-cased or padded with spaces, a missing final line end, a trailing blank
  line.

The generator never decides a row's fate: the loader and dbt do, by CONTRACT.md section 2.
Records that replace a clean row (a bad value, an orphan, a malformed line) take that row's
key; records that are added (an empty or non-numeric key, a later duplicate carrying
updated values) come right after it.

Rows stream to disk in chunks of :data:`CHUNK_ROWS`: memory does not grow with the scale.
Each file draws from its own ``random.Random`` seeded with ``(seed, file name)``, so the
same ``(scale, seed)`` gives byte-identical files, and large scales can write the files in
parallel (forked worker processes) without changing a byte.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import multiprocessing
import os
import random
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

from loader.contract import BY_FILE, EXTRACTS, Extract

Row = list[Any]
RowMaker = Callable[[int, int], list[Row]]

#: Data records of each file at scale 1, before dirt adds its extra records.
BASE_COUNTS: dict[str, int] = {
    "Customers.csv": 100,
    "Products.csv": 100,
    "Stores.csv": 20,
    "Agents.csv": 80,
    "OnlineTransactions.csv": 200,
    "InStoreTransactions.csv": 150,
    "CustomerServiceInteractions.csv": 120,
    "LoyaltyAccounts.csv": 100,
    "LoyaltyTransactions.csv": 150,
}

#: Rows generated and written at a time.
CHUNK_ROWS = 20_000

#: Share of clean rows that get a random dirt event (planted events come on top).
DIRT_RATE = 0.02

#: Relative frequency of each kind of random dirt (kinds that do not fit a file are skipped).
DIRT_WEIGHTS: dict[str, int] = {
    "duplicate": 5,  # a later record with the key of an earlier one and updated values
    "spaces": 4,  # surrounding spaces around a few values (still valid once trimmed)
    "ts_variant": 4,  # a timestamp with a T separator or fractional seconds (valid)
    "invalid_value": 4,  # a value that does not parse, or text longer than declared
    "orphan_fk": 3,  # a foreign key with no parent
    "null_fk": 2,  # an empty foreign key (kept)
    "null_value": 1,  # an empty non-key value (kept)
    "quoted": 2,  # text holding a comma, a double quote or a line break
    "precision": 1,  # a decimal with three places or none (valid, rounded)
    "missing_key": 1,  # an added record with an empty key
    "invalid_key": 1,  # an added record with a key that is not an INT
    "malformed": 1,  # a record with the wrong number of fields
}


@dataclass(frozen=True)
class Style:
    """How a file is laid out, beyond its records."""

    bom: bool = False  # starts with a UTF-8 byte-order mark
    eol: str = "\n"  # line end
    header: tuple[str, ...] | None = None  # header as written, in the file's column order
    trailing_blank_line: bool = False  # one empty line after the last record
    final_eol: bool = True  # whether the last record ends with a line end


#: File-level quirks. A reordered header reorders every record to match.
STYLES: dict[str, Style] = {
    "Customers.csv": Style(bom=True, eol="\r\n"),
    "Products.csv": Style(eol="\r\n"),
    "Stores.csv": Style(header=("StoreID", " Location", " Manager", " OpenHours")),
    "Agents.csv": Style(header=("agentid", "name", "DEPARTMENT", "Shift"), final_eol=False),
    "OnlineTransactions.csv": Style(),
    "InStoreTransactions.csv": Style(eol="\r\n", trailing_blank_line=True),
    "CustomerServiceInteractions.csv": Style(bom=True),
    "LoyaltyAccounts.csv": Style(
        header=("LoyaltyID", "TierLevel", "customerid", "JoinDate", "PointsEarned")
    ),
    "LoyaltyTransactions.csv": Style(),
}

#: Dirt planted in every file at every scale: (kind, column header or None, value or None).
#: None means "drawn at random". Positions are spread evenly over the file's clean rows.
PLANTED: dict[str, tuple[tuple[str, str | None, str | None], ...]] = {
    "Customers.csv": (
        ("missing_key", None, ""),
        ("quoted", "Address", None),
        ("invalid_key", None, "12a"),
        ("duplicate", None, None),
        ("quoted", "Name", None),
        ("spaces", None, None),
        ("invalid_value", "Email", None),
        ("missing_key", None, "   "),
        ("invalid_value", "Address", None),
        ("malformed", "Address", "split"),
        ("null_value", "Email", None),
        ("duplicate", None, None),
    ),
    "Products.csv": (
        ("invalid_key", None, "7.5"),
        ("invalid_value", "Price", "abc"),
        ("quoted", "Name", None),
        ("duplicate", None, None),
        ("invalid_value", "Price", "1e3"),
        ("spaces", None, None),
        ("missing_key", None, ""),
        ("invalid_value", "Category", None),
    ),
    "Stores.csv": (
        ("quoted", "Location", None),
        ("duplicate", None, None),
        ("invalid_key", None, "0x1F"),
        ("spaces", None, None),
        ("missing_key", None, ""),
    ),
    "Agents.csv": (
        ("duplicate", None, None),
        ("invalid_key", None, "1e3"),
        ("spaces", None, None),
        ("invalid_value", "Name", None),
        ("quoted", "Name", None),
    ),
    "OnlineTransactions.csv": (
        ("orphan_fk", "CustomerID", None),
        ("malformed", "Amount", "split"),
        ("invalid_value", "Amount", "1,000.00"),
        ("ts_variant", "DateTime", "T"),
        ("invalid_value", "DateTime", "2025-02-30 10:15:00"),
        ("null_fk", "CustomerID", None),
        ("duplicate", None, None),
        ("invalid_value", "Status", None),
        ("orphan_fk", "ProductID", None),
        ("malformed", None, "truncate"),
        ("ts_variant", "DateTime", "fraction"),
        ("missing_key", None, ""),
        ("invalid_key", None, "3000000000"),
        ("invalid_value", "CustomerID", "4294967296"),
        ("spaces", None, None),
        ("precision", "Amount", None),
        ("duplicate", None, None),
    ),
    "InStoreTransactions.csv": (
        ("orphan_fk", "StoreID", None),
        ("null_fk", "CustomerID", None),
        ("invalid_value", "Amount", "$12.50"),
        ("ts_variant", "DateTime", None),
        ("duplicate", None, None),
        ("invalid_value", "Amount", "123456789.00"),
        ("malformed", None, "extra"),
        ("spaces", None, None),
        ("precision", "Amount", None),
    ),
    "CustomerServiceInteractions.csv": (
        ("orphan_fk", "AgentID", None),
        ("null_fk", "AgentID", None),
        ("invalid_value", "DateTime", "2025-13-01 08:00:00"),
        ("invalid_value", "ResolutionStatus", None),
        ("duplicate", None, None),
        ("missing_key", None, ""),
        ("ts_variant", "DateTime", None),
        ("spaces", None, None),
    ),
    "LoyaltyAccounts.csv": (
        ("invalid_value", "PointsEarned", "2147483648"),
        ("invalid_value", "JoinDate", "2023-02-29"),
        ("orphan_fk", "CustomerID", None),
        ("duplicate", None, None),
        ("spaces", None, None),
        ("invalid_key", None, None),
    ),
    "LoyaltyTransactions.csv": (
        ("duplicate", None, None),
        ("missing_key", "DateTime", ""),
        ("invalid_key", "LoyaltyID", "12a"),
        ("orphan_fk", "LoyaltyID", None),
        ("invalid_value", "PointsChange", "7.5"),
        ("ts_variant", "DateTime", None),
        ("quoted", "Reason", None),
        ("duplicate", None, None),
    ),
}

# --- word lists -------------------------------------------------------------------------

_FIRST_F = (
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy "
    "Betty Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah "
    "Stephanie Rebecca Laura Helen Sharon Cynthia Kathleen Amy Angela Shirley Brenda Pamela "
    "Emma Nicole Anna Samantha Katherine Christine Debra Rachel Carolyn Crystal Janet Maria "
    "Tamara Heather Diane Julia Amber Teresa Tonya Cindy Kristen Zoë Renée Chloé"
).split()
_FIRST_M = (
    "James Robert John Michael David William Richard Joseph Thomas Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George "
    "Timothy Ronald Jason Edward Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen "
    "Larry Justin Scott Brandon Frank Gregory Raymond Patrick Terry Garrett Curtis Eddie "
    "Shawn Ricky Jimmy Daryl José"
).split()
_FIRST = _FIRST_F + _FIRST_M  # index < len(_FIRST_F): a woman's name
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Carroll Newman Mason Underwood Lowe Daniels Edwards Knapp Benjamin Long Rhodes "
    "James Bennett Ross Mcbride Flowers Crawford Jimenez Pierce Gomez Owens Gill Davenport "
    "Mora Chambers Stewart Weber Harrison Dean Ellis Diaz Hays Barker Brown Kaiser O'Brien "
    "Müller Núñez Dubois"
).split()
_PREFIX_F = ("",) * 22 + ("Mrs.", "Ms.", "Dr.")
_PREFIX_M = ("",) * 23 + ("Mr.", "Dr.")
_SUFFIX = ("",) * 30 + (" Jr.", " MD", " PhD", " II")
_NICK = ("Bob", "Liz", "Kate", "Jim", "Bill", "Peggy", "Chuck", "Sandy", "Tony", "Meg")
_STREET = (
    "Kelly Nelson Riley Hubbard Hannah Danielle Oak Maple Cedar Pine Elm Washington Lake "
    "Hill Park Sunset River Spring Meadow Forest Highland Church Mill Valley Ridge Willow "
    "Jackson Lincoln Franklin Jefferson Madison Chestnut Walnut Cherry Sycamore Birch"
).split()
_STREET_TYPE = (
    "Shoals Lodge Ferry Station Plaza Causeway Street Avenue Road Lane Drive Court Place "
    "Way Boulevard Circle Trail Parkway Terrace Crossing"
).split()
_CITY_ROOT = (
    "Joanne Vanessa Howard Martin Justin Maria Stephen Rebecca Kathleen Benjamin Vicki "
    "Chad Leon Oconnor May Thompson Amanda Jeffrey Brian Sarah Michelle Daniel Lisa Karen "
    "Grant Hudson Fisher Porter Palmer Warren"
).split()
_CITY_PREFIX = ("", "", "", "", "North ", "South ", "East ", "West ", "New ", "Lake ", "Port ")
_CITY_SUFFIX = (
    "",
    "",
    "berg",
    "fort",
    "ton",
    "ville",
    "stad",
    "chester",
    "side",
    "view",
    "burgh",
    "mouth",
    "haven",
    "furt",
    "shire",
    "town",
)
_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV "
    "NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
).split()
_DOMAINS = ("example.com", "example.org", "example.net")
_EMAIL_SAFE = str.maketrans(
    {"é": "e", "ë": "e", "ü": "u", "ñ": "n", "ú": "u", "'": None, " ": None}
)
_CITIES = tuple(p + r + s for p in _CITY_PREFIX[3:] for r in _CITY_ROOT for s in _CITY_SUFFIX)
_NOTES = (
    "please leave the parcel with the neighbour at number twelve",
    "ring the bell twice and wait, the intercom does not work",
    "customer asked us to call before every delivery between nine and five",
    "migrated from the legacy CRM, original record had several lines of remarks",
)

# Products: category -> nouns; names are "<adjective> <noun>".
_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Electronics": (
        "Headphones",
        "Speaker",
        "Monitor",
        "Keyboard",
        "Charger",
        "Tablet",
        "Camera",
        "Router",
    ),
    "Toys": ("Puzzle", "Robot", "Doll", "Kite", "Train Set", "Board Game", "Yo-Yo"),
    "Clothing": ("Jacket", "T-Shirt", "Sweater", "Scarf", "Jeans", "Sneakers", "Cap"),
    "Books": ("Cookbook", "Novel", "Atlas", "Biography", "Notebook", "Travel Guide"),
    "Home": ("Lamp", "Blanket", "Mug", "Vase", "Pillow", "Frying Pan", "Clock"),
    "Sports": ("Yoga Mat", "Water Bottle", "Tennis Racket", "Football", "Dumbbell"),
    "Beauty": ("Face Cream", "Shampoo", "Perfume", "Lip Balm"),
}
_CATEGORY_WEIGHTS = {
    "Electronics": 6,
    "Toys": 5,
    "Clothing": 5,
    "Books": 5,
    "Home": 5,
    "Sports": 2,
    "Beauty": 2,
}
_ADJECTIVES = (
    "Wireless Classic Compact Deluxe Eco Smart Vintage Premium Portable Mini Ultra Cozy "
    "Rustic Modern Bright Essential Everyday Pro Soft Lightweight"
).split()

_OPEN_HOURS = (
    ("9:00 AM - 8:00 PM",) * 4
    + ("10:00 AM - 7:00 PM",) * 3
    + (
        "10:00 AM - 6:00 PM",
        "9:00 AM - 7:00 PM",
        "10:00 AM - 9:00 PM",
        "9:00 AM - 9:00 PM",
        "8:00 AM - 10:00 PM",
        "24 hours",
    )
)
_DEPARTMENTS = (
    ("Billing",) * 4
    + ("Technical Support",) * 4
    + ("Returns",) * 2
    + ("Sales", "Customer Care", "Customer Care")
)
_SHIFTS = ("Morning",) * 4 + ("Afternoon",) * 3 + ("Evening",) * 3
_ONLINE_PAYMENTS = (
    ("Credit Card",) * 40
    + ("Debit Card",) * 25
    + ("PayPal",) * 20
    + ("Gift Card",) * 14
    + ("Apple Pay",)
)
_INSTORE_PAYMENTS = (
    ("Credit Card",) * 35
    + ("Debit Card",) * 30
    + ("Cash",) * 25
    + ("Gift Card",) * 9
    + ("Mobile Wallet",)
)
_STATUSES = (
    ("Completed",) * 66 + ("Pending",) * 18 + ("Failed",) * 12 + ("Refunded",) * 3 + ("Cancelled",)
)
_ISSUES = (
    ("Complaint",) * 25
    + ("Product Inquiry",) * 30
    + ("Technical Issue",) * 20
    + ("Other",) * 20
    + ("Billing Question",) * 4
    + ("Return Request",)
)
_RESOLUTIONS = ("Resolved",) * 5 + ("Pending",) * 3 + ("Escalated",) * 2
_TIERS = ("Bronze",) * 4 + ("Silver",) * 3 + ("Gold",) * 2 + ("Platinum",)
# Reason -> (lowest points change, number of values above it).
_REASONS: dict[str, tuple[int, int]] = {
    "Purchase": (10, 191),
    "Promotion": (-30, 231),
    "Referral": (25, 126),
    "Correction": (-50, 101),
    "Redemption": (-500, 451),
    "Birthday Bonus": (50, 51),
}
_REASON_WEIGHTS = {
    "Purchase": 40,
    "Promotion": 20,
    "Referral": 12,
    "Correction": 10,
    "Redemption": 12,
    "Birthday Bonus": 1,
}

# Bad values by column type (invalid_value and invalid_key).
_BAD_DECIMAL = (
    "abc",
    "1e3",
    "1,000.00",
    "$12.50",
    "123456789.00",
    "12.3.4",
    "N/A",
    "12,50",
    "0x1F",
)
_BAD_INT = ("2147483648", "-2147483649", "99999999999", "7.5", "1e3", "12a", "1,000", "1_000")
_BAD_FK = ("12a", "7.5", "4294967296", "N/A", "1e2")
_BAD_DATETIME = (
    "2025-02-30 10:15:00",
    "2025-02-29 12:00:00",
    "2025-13-01 08:00:00",
    "2025-03-15 24:00:01",
    "2025-01-10 12:61:00",
    "15/03/2025 10:00",
    "2025-01-32 09:30:00",
    "not a date",
)
_BAD_DATE = ("2023-02-29", "2021-04-31", "2022/05/03", "2024-13-01", "03/15/2022")
_FRACTIONS = (".000", ".250", ".5", ".120000", ".990")


def _weighted(weights: dict[str, int]) -> tuple[str, ...]:
    return tuple(k for k, w in weights.items() for _ in range(w))


@functools.cache
def _timestamp_tables() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Pieces of 2025-01-01 .. 2025-03-31 timestamps: ``"YYYY-MM-DD HH:"`` and ``"MM:SS"``.

    Days repeat by weekday weight (Tuesday and Wednesday busiest, as the seed's report
    found) and hours by time of day, so a timestamp is two table look-ups.
    """
    weekday_weight = (3, 5, 5, 4, 2, 2, 2)  # Monday .. Sunday
    hour_weight = (1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 7, 6, 6, 6, 7, 8, 9, 9, 7, 4, 2)
    start = dt.date(2025, 1, 1)
    day_hours: list[str] = []
    for k in range(90):
        d = start + dt.timedelta(days=k)
        for _ in range(weekday_weight[d.weekday()]):
            day_hours += [
                f"{d.isoformat()} {h:02d}:" for h, w in enumerate(hour_weight) for _ in range(w)
            ]
    mmss = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
    return tuple(day_hours), mmss


@functools.cache
def _join_dates() -> tuple[str, ...]:
    start = dt.date(2020, 1, 1)
    n = (dt.date(2024, 12, 31) - start).days + 1
    return tuple((start + dt.timedelta(days=k)).isoformat() for k in range(n))


@functools.cache
def _money(median: float, sigma: float, low: float, high: float) -> tuple[str, ...]:
    """A fixed table of 8192 log-normal amounts as DECIMAL(10,2) text."""
    r = random.Random(f"money:{median}:{sigma}")
    return tuple(
        f"{min(max(r.lognormvariate(math.log(median), sigma), low), high):.2f}" for _ in range(8192)
    )


# --- clean rows -------------------------------------------------------------------------
#
# Each row takes its random choices from one to three ``getrandbits`` words: a table of
# n entries is indexed by ``(bits * n) >> width``, which is much faster than a call of
# ``random()`` per value.

_M12, _M16, _M24, _M32 = (1 << 12) - 1, (1 << 16) - 1, (1 << 24) - 1, (1 << 32) - 1


@dataclass(frozen=True)
class _Sizes:
    """Clean row counts of every file, keyed by table name."""

    n: dict[str, int]

    def orphan(self, parent: str, r: Callable[[], float]) -> int:
        """A key just above the parent's: never a parent row, still within 32 bits."""
        top = 10 ** (len(str(self.n[parent])) + 2) - 1  # 100 rows -> 99999
        return min(top, 2**31 - 1) - int(r() * 10)


@functools.cache
def _name_pool() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """Every "First Last", and its e-mail local parts in four styles, by ``_name_index``."""
    pairs = [(f, la) for f in _FIRST for la in _LAST]
    names = tuple(f"{f} {la}" for f, la in pairs)
    styles = (
        tuple(f"{f}{la}" for f, la in pairs),
        tuple(f"{f[0]}{la}" for f, la in pairs),
        tuple(f"{f}.{la}" for f, la in pairs),
        tuple(la for _, la in pairs),
    )
    return names, tuple(tuple(s.lower().translate(_EMAIL_SAFE) for s in st) for st in styles)


def _person_name(x: int, suffix: bool = True) -> tuple[str, int]:
    """(full name, index into :func:`_name_pool`) from 56 random bits; a title now and then."""
    k = (x & _M16) * len(_FIRST) >> 16
    index = k * len(_LAST) + ((x >> 16 & _M16) * len(_LAST) >> 16)
    name = _name_pool()[0][index]
    prefixes = _PREFIX_F if k < len(_FIRST_F) else _PREFIX_M
    pre = prefixes[(x >> 32 & _M12) * len(prefixes) >> 12]
    if pre:
        name = f"{pre} {name}"
    if suffix:
        name += _SUFFIX[(x >> 44 & _M12) * len(_SUFFIX) >> 12]
    return name, index


def _makers(rng: random.Random, sizes: _Sizes) -> dict[str, RowMaker]:
    """One function per file: clean rows for keys ``start`` to ``stop - 1``."""
    g = rng.getrandbits
    n = sizes.n
    n_cust, n_prod, n_store = n["customers"], n["products"], n["stores"]
    n_agent, n_loyalty = n["agents"], n["loyalty_accounts"]
    day_hours, mmss = _timestamp_tables()
    ndh = len(day_hours)
    amounts = _money(70.0, 0.95, 3.0, 2500.0)
    prices = _money(35.0, 1.0, 1.0, 1500.0)
    M12, M16, M24, M32 = _M12, _M16, _M24, _M32

    def customers(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        streets, stypes, cities, states = _STREET, _STREET_TYPE, _CITIES, _STATES
        ns, nt, nc = len(streets), len(stypes), len(cities)
        local_parts = _name_pool()[1]
        for i in range(start, stop):
            x, y, z = g(64), g(64), g(64)
            name, k = _person_name(x, suffix=False)
            style = x >> 56 & 3
            email = (
                f"{local_parts[3][k]}{(x >> 58) + 1}@"
                if style == 3
                else local_parts[style][k] + "@"
            ) + _DOMAINS[(z >> 60) % 3]
            unit = y >> 60
            unit_s = (
                f" Apt. {(y >> 40 & 1023) % 900 + 100}"
                if unit < 3
                else f" Suite {(y >> 40 & 1023) % 900 + 100}"
                if unit == 3
                else ""
            )
            rows.append(
                [
                    i,
                    name,
                    email,
                    f"{(y & M16) * 99000 // 65536 + 100} {streets[(y >> 16 & M12) * ns >> 12]}"
                    f" {stypes[(y >> 28 & M12) * nt >> 12]}{unit_s}, "
                    f"{cities[(z & M16) * nc >> 16]}, {states[(z >> 16 & M12) * 50 >> 12]} "
                    f"{(z >> 28 & M24) * 89999 // 16777216 + 10000}",
                ]
            )
        return rows

    categories = _weighted(_CATEGORY_WEIGHTS)

    def products(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for i in range(start, stop):
            x = g(64)
            cat = categories[(x & M12) * len(categories) >> 12]
            nouns = _CATEGORIES[cat]
            name = (
                f"{_ADJECTIVES[(x >> 12 & M12) * len(_ADJECTIVES) >> 12]} "
                f"{nouns[(x >> 24 & M12) * len(nouns) >> 12]}"
            )
            rows.append([i, name, cat, prices[x >> 51]])
        return rows

    def stores(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        cities, nc, nh = _CITIES, len(_CITIES), len(_OPEN_HOURS)
        for i in range(start, stop):
            x, y = g(64), g(32)
            rows.append(
                [
                    i,
                    cities[(y & M16) * nc >> 16],
                    _person_name(x)[0],
                    _OPEN_HOURS[(y >> 16) * nh >> 16],
                ]
            )
        return rows

    def agents(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        nd, ns = len(_DEPARTMENTS), len(_SHIFTS)
        for i in range(start, stop):
            x = g(64)
            rows.append(
                [
                    i,
                    _person_name(x)[0],
                    _DEPARTMENTS[(x >> 56 & 15) * nd >> 4],
                    _SHIFTS[(x >> 60) * ns >> 4],
                ]
            )
        return rows

    pay_on, npo = _ONLINE_PAYMENTS, len(_ONLINE_PAYMENTS)
    statuses, nst = _STATUSES, len(_STATUSES)

    def online(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for i in range(start, stop):
            x, y = g(64), g(64)
            rows.append(
                [
                    i,
                    ((x & M32) * n_cust >> 32) + 1,
                    ((x >> 32) * n_prod >> 32) + 1,
                    day_hours[(y & M24) * ndh >> 24] + mmss[(y >> 24 & M12) * 3600 >> 12],
                    pay_on[(y >> 36 & M12) * npo >> 12],
                    amounts[y >> 51],
                    statuses[(g(12) * nst) >> 12],
                ]
            )
        return rows

    pay_in, npi = _INSTORE_PAYMENTS, len(_INSTORE_PAYMENTS)

    def instore(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for i in range(start, stop):
            x, y = g(64), g(64)
            rows.append(
                [
                    i,
                    ((x & M32) * n_cust >> 32) + 1,
                    ((x >> 32) * n_store >> 32) + 1,
                    day_hours[(y & M24) * ndh >> 24] + mmss[(y >> 24 & M12) * 3600 >> 12],
                    amounts[y >> 51],
                    pay_in[(y >> 36 & M12) * npi >> 12],
                ]
            )
        return rows

    issues, nis = _ISSUES, len(_ISSUES)
    resolutions, nre = _RESOLUTIONS, len(_RESOLUTIONS)

    def interactions(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for i in range(start, stop):
            x, y = g(64), g(64)
            rows.append(
                [
                    i,
                    ((x & M32) * n_cust >> 32) + 1,
                    day_hours[(y & M24) * ndh >> 24] + mmss[(y >> 24 & M12) * 3600 >> 12],
                    ((x >> 32) * n_agent >> 32) + 1,
                    issues[(y >> 36 & M12) * nis >> 12],
                    resolutions[(y >> 48 & M12) * nre >> 12],
                ]
            )
        return rows

    tiers, nti = _TIERS, len(_TIERS)
    join_dates = _join_dates()
    njd = len(join_dates)

    def loyalty_accounts(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for i in range(start, stop):
            x = g(64)
            rows.append(
                [
                    i,
                    ((x & M32) * n_cust >> 32) + 1,
                    (x >> 32 & M12) * 5000 >> 12,
                    tiers[(x >> 44 & 255) * nti >> 8],
                    join_dates[(x >> 52) * njd >> 12],
                ]
            )
        return rows

    reasons = _weighted(_REASON_WEIGHTS)
    nrs = len(reasons)

    def loyalty_transactions(start: int, stop: int) -> list[Row]:
        rows: list[Row] = []
        for _ in range(start, stop):
            x, y = g(64), g(64)
            reason = reasons[(x >> 32 & M12) * nrs >> 12]
            low, span = _REASONS[reason]
            rows.append(
                [
                    ((x & M32) * n_loyalty >> 32) + 1,
                    day_hours[(y & M24) * ndh >> 24] + mmss[(y >> 24 & M12) * 3600 >> 12],
                    low + ((x >> 44 & M16) * span >> 16),
                    reason,
                ]
            )
        return rows

    return {
        "customers": customers,
        "products": products,
        "stores": stores,
        "agents": agents,
        "online_transactions": online,
        "instore_transactions": instore,
        "customer_service_interactions": interactions,
        "loyalty_accounts": loyalty_accounts,
        "loyalty_transactions": loyalty_transactions,
    }


# --- dirt -------------------------------------------------------------------------------

_REPLACING = {
    "spaces",
    "ts_variant",
    "invalid_value",
    "orphan_fk",
    "null_fk",
    "null_value",
    "quoted",
    "precision",
    "malformed",
}
_ALWAYS_QUOTED = {("customers", "address")}
_QUOTABLE = {
    ("customers", "name"),
    ("customers", "address"),
    ("products", "name"),
    ("stores", "location"),
    ("stores", "manager"),
    ("agents", "name"),
    ("loyalty_transactions", "reason"),
}


class _Dirt:
    """Applies dirt events to the clean rows of one file, using the contract's column types."""

    def __init__(self, extract: Extract, rng: random.Random, sizes: _Sizes, make: RowMaker) -> None:
        self.e = extract
        self.r = rng.random
        self.sizes = sizes
        self.make = make
        cols = extract.columns
        self.index = {c.header.lower(): k for k, c in enumerate(cols)}
        self.pk = [extract.column_names.index(p) for p in extract.primary_key]
        self.fk = {extract.column_names.index(f.column): f.parent for f in extract.foreign_keys}
        self.plain = [k for k in range(len(cols)) if k not in self.pk and k not in self.fk]
        self.fk_plain = [k for k in self.fk if k not in self.pk]  # foreign, not primary
        self.datetimes = [k for k, c in enumerate(cols) if c.type == "datetime"]
        self.decimals = [k for k, c in enumerate(cols) if c.type == "decimal"]
        self.quotable = [k for k, c in enumerate(cols) if (extract.table, c.name) in _QUOTABLE]
        kinds = {k: w for k, w in DIRT_WEIGHTS.items() if self.fits(k)}
        self.kinds = _weighted(kinds)

    def fits(self, kind: str) -> bool:
        return {
            "orphan_fk": bool(self.fk),
            "null_fk": bool(self.fk_plain),
            "quoted": bool(self.quotable),
            "ts_variant": bool(self.datetimes),
            "precision": bool(self.decimals),
        }.get(kind, True)

    def random_kind(self) -> str:
        return self.kinds[int(self.r() * len(self.kinds))]

    def col(self, header: str | None, choices: list[int]) -> int:
        if header is not None:
            return self.index[header.lower()]
        return choices[int(self.r() * len(choices))]

    def pick(self, values: tuple[str, ...]) -> str:
        return values[int(self.r() * len(values))]

    def apply(
        self,
        kind: str,
        header: str | None,
        value: str | None,
        rows: list[Row],
        at: int,
        added: list[Row],
    ) -> None:
        """Apply one event to ``rows[at]`` (in place), or append an added record to ``added``."""
        if kind in _REPLACING and len(rows[at]) != len(self.e.columns):
            return  # already made malformed: leave it be
        getattr(self, "_" + kind)(header, value, rows, at, added)

    # Kinds that add a record after the current one.

    def _fresh(self) -> Row:
        """A clean row with fresh values (the key is the caller's to set)."""
        return self.make(1, 2)[0]

    def _missing_key(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        extra = self._fresh()
        extra[self.col(header, self.pk)] = value if value is not None else self.pick(("", "", " "))
        out.append(extra)

    def _invalid_key(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        extra = self._fresh()
        k = self.col(header, self.pk)
        if self.e.columns[k].type == "datetime":
            extra[k] = value or self.pick(_BAD_DATETIME)
        else:
            key = rows[at][k] if isinstance(rows[at][k], int) else int(self.r() * 100) + 1
            extra[k] = value or self.pick(
                (
                    f"{key}a",
                    f"{key}.5",
                    f"{key % 9 + 1}e3",
                    f"0x{key:X}",
                    f"1_{key:03d}",
                    str(2**31 + key),
                    f"#{key}",
                    f"{key}.0",
                    "N/A",
                )
            )
        out.append(extra)

    def _duplicate(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        """A later record for an earlier key of this chunk, some values updated."""
        earlier = rows[at - int(self.r() * min(at + 1, 50))]
        if len(earlier) != len(self.e.columns):  # malformed: repeat its key, not its fields
            earlier = self._fresh()
            for k in self.pk:
                earlier[k] = rows[at][k]
        extra = list(earlier)
        changed = [k for k in range(len(extra)) if k not in self.pk]
        first = changed[int(self.r() * len(changed))]
        for _ in range(5):  # the first chosen column must really change
            fresh = self._fresh()
            if str(fresh[first]).strip() != str(earlier[first]).strip():
                break
        for k in changed:
            if k == first or self.r() < 0.3:
                extra[k] = fresh[k]
        out.append(extra)

    # Kinds that change the current record.

    def _spaces(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        row = rows[at]
        for _ in range(1 + int(self.r() * 3)):
            k = int(self.r() * len(row))
            v = str(row[k])
            if v and v == v.strip():
                row[k] = self.pick((" ", "  ", "")) + v + self.pick((" ", "   ", ""))
                if row[k] == v:
                    row[k] = f" {v} "

    def _ts_variant(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        row = rows[at]
        k = self.col(header, self.datetimes)
        v = str(row[k])
        how = value or self.pick(("T", "fraction", "both"))
        if how in ("T", "both"):
            v = v.replace(" ", "T", 1)
        if how in ("fraction", "both"):
            v += self.pick(_FRACTIONS)
        row[k] = v

    def _invalid_value(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        row = rows[at]
        k = self.col(header, self.plain + self.fk_plain)
        if value is None:
            c = self.e.columns[k]
            if k in self.fk:
                value = self.pick(_BAD_FK)
            elif c.type == "int":
                value = self.pick(_BAD_INT)
            elif c.type == "decimal":
                value = self.pick(_BAD_DECIMAL)
            elif c.type == "datetime":
                value = self.pick(_BAD_DATETIME)
            elif c.type == "date":
                value = self.pick(_BAD_DATE)
            else:  # text longer than declared
                assert c.length is not None
                value = str(row[k]).strip()
                while len(value) <= c.length:  # a remark pasted into the field
                    value += " - " + self.pick(_NOTES)
        row[k] = value

    def _orphan_fk(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        k = self.col(header, list(self.fk))
        rows[at][k] = value or self.sizes.orphan(self.fk[k], self.r)

    def _null_fk(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        rows[at][self.col(header, self.fk_plain)] = ""

    def _null_value(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        rows[at][self.col(header, self.plain)] = ""

    def _precision(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        row = rows[at]
        k = self.col(header, self.decimals)
        v = str(row[k])
        # Three places ending in 5 test rounding half away from zero; none tests "100".
        row[k] = value or (v + "5" if self.r() < 0.7 else v.split(".")[0])

    def _quoted(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        row = rows[at]
        k = self.col(header, self.quotable)
        v = str(row[k])
        name = self.e.columns[k].name
        if value is not None:
            row[k] = value
        elif name == "address":  # a line break where the street ends
            row[k] = v.replace(", ", "\n", 1)
        elif self.e.table == "products":
            row[k] = self.pick((f'{v} 27"', f"{v}, 2-Pack", f'{v} "Limited Edition"'))
        elif name in ("name", "manager"):
            parts = v.split(" ")
            nick = self.pick(_NICK)
            row[k] = self.pick(
                (
                    " ".join(parts[:-1]) + f' "{nick}" ' + parts[-1],
                    f"{parts[-1]}, {' '.join(parts[:-1])}",
                )
            )
        elif name == "reason":
            row[k] = self.pick((f'{v}, "Spring Sale"', f"{v}, manual"))
        else:
            row[k] = f"{v}, {self.pick(_STATES)}"

    def _malformed(
        self, header: str | None, value: str | None, rows: list[Row], at: int, out: list[Row]
    ) -> None:
        """The wrong number of fields: an unquoted comma split a value, or fields went missing."""
        row = rows[at]
        how = value or self.pick(("split", "truncate", "extra"))
        if how == "split":
            # The writer would quote a comma, so split the value into two fields instead.
            splittable = [k for k in self.plain if self.e.columns[k].type in ("text", "decimal")]
            k = self.col(header, splittable)
            v = str(row[k])
            if self.e.columns[k].type == "decimal":
                parts = [str(1 + int(self.r() * 9)), v.strip().zfill(6)]  # "3,009.55"
            elif ", " in v:
                a, _, b = v.partition(", ")
                parts = [a, " " + b]
            else:
                parts = [v, " " + self.pick(_STATES)]
            row[k : k + 1] = parts
        elif how == "truncate":
            del row[len(row) - 1 - int(self.r() * 2) :]
        else:
            row.append("")


# --- writing ----------------------------------------------------------------------------


def _scaled(base: int, scale: float) -> int:
    return max(1, round(base * scale))


def _write_file(
    extract: Extract,
    path: Path,
    n: int,
    seed: int,
    sizes: _Sizes,
    progress: Callable[[str, int], None] | None,
) -> int:
    """Write one file of ``n`` clean rows plus its dirt; return its data record count."""
    rng = random.Random(f"{seed}:{extract.file}")
    r = rng.random
    make = _makers(rng, sizes)[extract.table]
    dirt = _Dirt(extract, rng, sizes, make)
    style = STYLES[extract.file]
    header = list(style.header or extract.headers)
    order: list[int] | None = None
    if style.header is not None:
        wanted = [h.strip().lower() for h in style.header]
        canonical = [h.lower() for h in extract.headers]
        if wanted != canonical:
            order = [canonical.index(h) for h in wanted]
    ncols = len(extract.columns)

    planted = PLANTED[extract.file]
    # Event positions are 1-based clean row numbers; planted ones spread evenly.
    events: list[tuple[int, int, str, str | None, str | None]] = [
        (1 + (2 * j + 1) * n // (2 * len(planted)), j, *ev) for j, ev in enumerate(planted)
    ]
    log_q = math.log(1.0 - DIRT_RATE)

    def gap() -> int:
        return 1 + int(math.log(1.0 - r()) / log_q)

    next_random = gap()
    records = 0
    # Clean rows need no quoting (no word list holds a comma, quote or line break), except
    # addresses, which always hold commas: a format string writes them fast. Records with
    # dirt go through the csv module.
    template = (
        ",".join(
            ('"{%d}"' if (extract.table, extract.columns[k].name) in _ALWAYS_QUOTED else "{%d}") % k
            for k in (order or range(ncols))
        )
        + style.eol
    )
    clean = template.format
    buffer = io.StringIO()
    dirty_writer = csv.writer(buffer, lineterminator=style.eol)

    def dirty(row: Row) -> str:
        if order is not None and len(row) == ncols:
            row = [row[k] for k in order]
        buffer.seek(0)
        buffer.truncate()
        dirty_writer.writerow(row)
        return buffer.getvalue()

    with path.open("w", encoding="utf-8-sig" if style.bom else "utf-8", newline="") as f:
        f.write(",".join(header) + style.eol)
        for start in range(1, n + 1, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n + 1)
            rows = make(start, stop)
            chunk_events = [ev for ev in events if start <= ev[0] < stop]
            while next_random < stop:
                chunk_events.append((next_random, len(planted), dirt.random_kind(), None, None))
                next_random += gap()
            # At each position: changes to the row first (malformed last), then added records.
            chunk_events.sort(
                key=lambda ev: (ev[0], ev[2] not in _REPLACING, ev[2] == "malformed", ev[1])
            )
            lines: list[str] = []
            cursor = 0
            added: list[Row] = []
            for k, (pos, _, kind, col, value) in enumerate(chunk_events):
                at = pos - start
                dirt.apply(kind, col, value, rows, at, added)
                if k + 1 == len(chunk_events) or chunk_events[k + 1][0] != pos:
                    lines += [clean(*row) for row in rows[cursor:at]]
                    lines.append(dirty(rows[at]))
                    lines += [dirty(row) for row in added]
                    records += len(added)
                    added = []
                    cursor = at + 1
            lines += [clean(*row) for row in rows[cursor:]]
            records += len(rows)
            f.write("".join(lines))
            if progress is not None:
                progress(extract.file, records)
        if style.trailing_blank_line:
            f.write(style.eol)
    if not style.final_eol:
        with path.open("r+b") as fb:
            fb.truncate(fb.seek(0, 2) - len(style.eol.encode()))
    return records


#: Below this many clean rows in all, files are written one after another in this process.
PARALLEL_MIN_ROWS = 500_000

_progress_queue: Any = None  # a worker process's queue for progress reports


def _worker_init(queue: Any) -> None:
    global _progress_queue
    _progress_queue = queue


def _worker_write(file: str, path: Path, n: int, seed: int, sizes: _Sizes) -> int:
    report = _progress_queue.put if _progress_queue is not None else None
    return _write_file(
        BY_FILE[file],
        path,
        n,
        seed,
        sizes,
        None if report is None else lambda name, k: report((name, k)),
    )


def generate_source(
    out: Path,
    scale: float = 1,
    seed: int = 42,
    progress: Callable[[str, int], None] | None = None,
    workers: int | None = None,
) -> dict[str, int]:
    """Write the nine CSV files into `out`; return {file name: data record count}.

    ``scale`` multiplies the row counts of :data:`BASE_COUNTS` (fractions allowed; every
    file keeps at least one row). ``progress(file name, records written so far)`` is
    called after every chunk. The same ``(scale, seed)`` writes byte-identical files,
    however many ``workers`` write them: by default one per CPU (at most 4) for large
    scales, else one. Several workers are processes forked from this one (POSIX only).
    """
    if not scale > 0:
        raise ValueError(f"scale must be greater than 0, got {scale}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n = {e.table: _scaled(BASE_COUNTS[e.file], scale) for e in EXTRACTS}
    sizes = _Sizes(n)
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if sum(n.values()) >= PARALLEL_MIN_ROWS else 1
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        counts = _generate_parallel(out, n, seed, sizes, progress, workers)
    else:
        counts = {
            e.file: _write_file(e, out / e.file, n[e.table], seed, sizes, progress)
            for e in EXTRACTS
        }
    return {e.file: counts[e.file] for e in EXTRACTS}


def _generate_parallel(
    out: Path,
    n: dict[str, int],
    seed: int,
    sizes: _Sizes,
    progress: Callable[[str, int], None] | None,
    workers: int,
) -> dict[str, int]:
    """Write the files in ``workers`` forked processes, largest first; relay progress."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue() if progress is not None else None
    counts: dict[str, int] = {}

    def relay() -> None:
        while queue is not None and progress is not None:
            try:
                name, k = queue.get_nowait()
            except Empty:
                return
            progress(name, k)

    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(queue,)
    ) as pool:
        futures = {
            pool.submit(_worker_write, e.file, out / e.file, n[e.table], seed, sizes): e.file
            for e in sorted(EXTRACTS, key=lambda e: -n[e.table] * len(e.columns))
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            relay()
            for future in done:
                counts[futures[future]] = future.result()
    relay()
    return counts
