"""The synthetic source generator: determinism, counts, the committed sample and its dirt."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from loader.contract import BY_FILE, EXTRACTS, Extract
from loader.generate import BASE_COUNTS, generate_source

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
INT = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
TIMESTAMP = re.compile(r"(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?")


def read_records(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data records as the csv module splits them (blank lines skipped)."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = [r for r in csv.reader(f) if r]
    return rows[0], rows[1:]


def well_formed(path: Path) -> list[dict[str, str]]:
    """The records that split into the header's columns, keyed by the contract's header."""
    extract = BY_FILE[path.name]
    header, records = read_records(path)
    positions = [h.strip().lower() for h in header]
    return [
        {c.header: r[positions.index(c.header.lower())] for c in extract.columns}
        for r in records
        if len(r) == len(header)
    ]


def int_keys(path: Path, column: str) -> set[int]:
    return {
        int(v.strip()) for v in (r[column] for r in well_formed(path)) if INT.fullmatch(v.strip())
    }


def is_int(text: str) -> bool:
    return bool(INT.fullmatch(text)) and -(2**31) <= int(text) < 2**31


def is_timestamp(text: str) -> bool:
    import datetime as dt

    m = TIMESTAMP.fullmatch(text)
    if not m:
        return False
    try:
        dt.datetime(*(int(g) for g in m.groups()[:6]))
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("fresh")
    return out, generate_source(out, scale=1, seed=42)


# --- the generator ----------------------------------------------------------------------


def test_writes_the_nine_files_with_their_columns(fresh: tuple[Path, dict[str, int]]) -> None:
    out, counts = fresh
    assert sorted(counts) == sorted(e.file for e in EXTRACTS)
    assert sorted(p.name for p in out.iterdir()) == sorted(e.file for e in EXTRACTS)
    for e in EXTRACTS:
        header, _ = read_records(out / e.file)
        assert sorted(h.strip().lower() for h in header) == sorted(h.lower() for h in e.headers), (
            e.file
        )


def test_counts_are_the_data_records_csv_reads(fresh: tuple[Path, dict[str, int]]) -> None:
    out, counts = fresh
    for e in EXTRACTS:
        _, records = read_records(out / e.file)
        assert counts[e.file] == len(records), e.file
        assert counts[e.file] >= BASE_COUNTS[e.file]


def test_scale_one_is_the_seed_size(fresh: tuple[Path, dict[str, int]]) -> None:
    out, counts = fresh
    assert 100 <= counts["Customers.csv"] <= 115
    assert 100 <= counts["Products.csv"] <= 115
    assert 200 <= counts["OnlineTransactions.csv"] <= 230
    # Foreign keys point at the seed-sized parents (orphans aside).
    customer_ids = Counter(
        int(r["CustomerID"])
        for r in well_formed(out / "OnlineTransactions.csv")
        if is_int(r["CustomerID"])
    )
    assert (
        sum(v for k, v in customer_ids.items() if 1 <= k <= 100)
        > 0.9 * counts["OnlineTransactions.csv"]
    )


def test_same_seed_same_bytes_other_seed_other_bytes(
    tmp_path: Path, fresh: tuple[Path, dict[str, int]]
) -> None:
    out, counts = fresh
    again = generate_source(tmp_path / "again", scale=1, seed=42)
    other = generate_source(tmp_path / "other", scale=1, seed=7)
    assert again == counts
    for e in EXTRACTS:
        assert (tmp_path / "again" / e.file).read_bytes() == (out / e.file).read_bytes()
        assert (tmp_path / "other" / e.file).read_bytes() != (out / e.file).read_bytes()
    assert other != counts or any(
        (tmp_path / "other" / e.file).read_bytes() != (out / e.file).read_bytes() for e in EXTRACTS
    )


@pytest.mark.parametrize("scale", [0.5, 2, 10])
def test_scale_multiplies_row_counts(
    tmp_path: Path, scale: float, fresh: tuple[Path, dict[str, int]]
) -> None:
    _, base = fresh
    counts = generate_source(tmp_path, scale=scale, seed=42)
    for name, n in counts.items():
        expected = BASE_COUNTS[name] * scale
        assert expected <= n <= expected * 1.02 + 20, (name, n)  # dirt adds a few records
    assert counts["OnlineTransactions.csv"] == pytest.approx(
        base["OnlineTransactions.csv"] * scale, rel=0.1
    )


def test_tiny_scale_still_writes_every_file(tmp_path: Path) -> None:
    counts = generate_source(tmp_path, scale=0.001, seed=1)
    assert all(n >= 1 for n in counts.values())
    for name, n in counts.items():
        assert len(read_records(tmp_path / name)[1]) == n


def test_progress_reports_each_file(tmp_path: Path) -> None:
    seen: dict[str, int] = {}
    counts = generate_source(tmp_path, scale=1, progress=lambda name, n: seen.update({name: n}))
    assert seen == counts


def test_workers_write_the_same_bytes(tmp_path: Path) -> None:
    seen: dict[str, int] = {}
    alone = generate_source(tmp_path / "alone", scale=3, seed=5, workers=1)
    forked = generate_source(
        tmp_path / "forked",
        scale=3,
        seed=5,
        workers=2,
        progress=lambda name, n: seen.update({name: n}),
    )
    assert forked == alone == seen
    assert list(forked) == [e.file for e in EXTRACTS]
    for e in EXTRACTS:
        assert (tmp_path / "alone" / e.file).read_bytes() == (
            tmp_path / "forked" / e.file
        ).read_bytes()


def test_rejects_a_scale_that_is_not_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate_source(tmp_path, scale=0)


def test_memory_does_not_grow_with_scale(tmp_path: Path) -> None:
    """Peak RSS of a run 20 times larger stays within a few MB of the small run's."""
    script = (
        "import resource, sys; from pathlib import Path; "
        "from loader.generate import generate_source; "
        "generate_source(Path(sys.argv[1]), scale=float(sys.argv[2])); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )

    def peak_kb(scale: float) -> int:
        done = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / str(scale)), str(scale)],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(done.stdout.split()[-1])

    small, large = peak_kb(10), peak_kb(200)  # 2,000 and 40,000 online orders
    assert large - small < 16_000, (small, large)


# --- the committed sample ---------------------------------------------------------------


def test_committed_sample_is_the_generators_output(fresh: tuple[Path, dict[str, int]]) -> None:
    """data/sample is `python -m loader generate --out data/sample --scale 1 --seed 42`."""
    out, _ = fresh
    assert sorted(p.name for p in SAMPLE.glob("*.csv")) == sorted(e.file for e in EXTRACTS)
    for e in EXTRACTS:
        assert (SAMPLE / e.file).read_bytes() == (out / e.file).read_bytes(), (
            f"data/sample/{e.file} differs from the generator's output: regenerate it"
        )


def sample(name: str) -> Path:
    return SAMPLE / name


def test_sample_file_level_quirks() -> None:
    raw = {e.file: sample(e.file).read_bytes() for e in EXTRACTS}
    assert raw["Customers.csv"].startswith(b"\xef\xbb\xbf")  # byte-order mark
    assert not raw["Products.csv"].startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw["Customers.csv"] and b"\r\n" in raw["InStoreTransactions.csv"]
    assert b"\r" not in raw["OnlineTransactions.csv"]  # LF only
    assert not raw["Agents.csv"].endswith(b"\n")  # no line end after the last record
    assert raw["InStoreTransactions.csv"].endswith(b"\r\n\r\n")  # a trailing blank line


def test_sample_headers_reordered_recased_and_padded() -> None:
    headers = {e.file: read_records(sample(e.file))[0] for e in EXTRACTS}
    assert headers["LoyaltyAccounts.csv"] != list(BY_FILE["LoyaltyAccounts.csv"].headers)
    assert "customerid" in headers["LoyaltyAccounts.csv"]  # case changed ...
    assert headers["LoyaltyAccounts.csv"].index("customerid") != 1  # ... and order
    assert headers["Agents.csv"][0] == "agentid"
    assert " Location" in headers["Stores.csv"]  # surrounding spaces


def keys(path: Path, extract: Extract) -> list[str]:
    return [r[extract.columns[0].header] for r in well_formed(path)]


def test_sample_has_empty_and_non_numeric_keys() -> None:
    customer_keys = keys(sample("Customers.csv"), BY_FILE["Customers.csv"])
    assert "" in customer_keys  # an empty key
    assert any(k and not k.strip() for k in customer_keys)  # a key of spaces only
    assert "12a" in customer_keys
    assert "7.5" in keys(sample("Products.csv"), BY_FILE["Products.csv"])
    assert "1e3" in keys(sample("Agents.csv"), BY_FILE["Agents.csv"])
    assert "3000000000" in keys(
        sample("OnlineTransactions.csv"), BY_FILE["OnlineTransactions.csv"]
    )  # beyond 32 bits


def test_sample_has_later_duplicates_with_updated_values() -> None:
    rows = [r for r in well_formed(sample("Customers.csv")) if is_int(r["CustomerID"].strip())]
    by_key: dict[int, list[dict[str, str]]] = {}
    for r in rows:
        by_key.setdefault(int(r["CustomerID"]), []).append(r)
    dups = [v for v in by_key.values() if len(v) > 1]
    assert dups and all(v[0] != v[-1] for v in dups)
    loyalty = Counter(
        (r["LoyaltyID"].strip(), r["DateTime"].strip())
        for r in well_formed(sample("LoyaltyTransactions.csv"))
    )
    assert any(n > 1 for n in loyalty.values())  # composite key (LoyaltyID, DateTime)


def test_sample_has_orphan_and_null_foreign_keys() -> None:
    customers = int_keys(sample("Customers.csv"), "CustomerID")
    orders = well_formed(sample("OnlineTransactions.csv"))
    fks = [r["CustomerID"].strip() for r in orders]
    assert any(is_int(v) and int(v) not in customers for v in fks)
    assert any(v.startswith("9999") for v in fks)  # 99999-style orphans
    assert "" in fks
    products = int_keys(sample("Products.csv"), "ProductID")
    assert any(
        is_int(v) and int(v) not in products for v in (r["ProductID"].strip() for r in orders)
    )
    stores = int_keys(sample("Stores.csv"), "StoreID")
    assert any(
        is_int(v) and int(v) not in stores
        for v in (r["StoreID"].strip() for r in well_formed(sample("InStoreTransactions.csv")))
    )


def test_sample_has_unparseable_values() -> None:
    orders = well_formed(sample("OnlineTransactions.csv"))
    amounts = [r["Amount"] for r in orders]
    assert "1,000.00" in amounts
    assert [r["Price"] for r in well_formed(sample("Products.csv"))].count("abc") == 1
    assert "1e3" in [r["Price"] for r in well_formed(sample("Products.csv"))]
    assert "2025-02-30 10:15:00" in [r["DateTime"] for r in orders]
    assert "2023-02-29" in [r["JoinDate"] for r in well_formed(sample("LoyaltyAccounts.csv"))]
    points = [r["PointsEarned"].strip() for r in well_formed(sample("LoyaltyAccounts.csv"))]
    assert any(INT.fullmatch(p) and not is_int(p) for p in points)  # beyond 32 bits
    assert "4294967296" in [r["CustomerID"] for r in orders]


def test_sample_has_text_longer_than_declared() -> None:
    too_long = set()
    for e in EXTRACTS:
        for r in well_formed(sample(e.file)):
            for c in e.columns:
                if c.length is not None and len(r[c.header].strip()) > c.length:
                    too_long.add((e.file, c.header))
    assert {("Customers.csv", "Address"), ("OnlineTransactions.csv", "Status")} <= too_long


def test_sample_has_values_with_surrounding_spaces_that_are_valid() -> None:
    padded = [
        (c, v)
        for e in EXTRACTS
        for r in well_formed(sample(e.file))
        for c, v in r.items()
        if v.strip() and v != v.strip()
    ]
    assert len(padded) >= 10
    assert any(INT.fullmatch(v.strip()) for _, v in padded)
    assert any(c == "DateTime" and is_timestamp(v.strip()) for c, v in padded)


def test_sample_has_quoted_commas_quotes_and_line_breaks() -> None:
    customers = well_formed(sample("Customers.csv"))
    assert any("\n" in r["Address"] for r in customers)  # a line break inside quotes
    assert any('"' in r["Name"] for r in customers)  # a doubled quote
    assert any("," in r["Location"] for r in well_formed(sample("Stores.csv")))
    assert b'""' in sample("Customers.csv").read_bytes()


def test_sample_has_t_separators_and_fractional_seconds() -> None:
    stamps = [
        r["DateTime"]
        for e in EXTRACTS
        if "DateTime" in e.headers
        for r in well_formed(sample(e.file))
    ]
    assert any("T" in s and is_timestamp(s) for s in stamps)
    assert any("." in s and is_timestamp(s) for s in stamps)
    assert all(
        s.strip()[:7] in ("2025-01", "2025-02", "2025-03") or not is_timestamp(s.strip())
        for s in stamps
        if s.strip()
    )


def test_sample_has_malformed_records() -> None:
    wrong = {}
    for e in EXTRACTS:
        header, records = read_records(sample(e.file))
        wrong[e.file] = [len(r) for r in records if len(r) != len(header)]
    assert max(wrong["OnlineTransactions.csv"]) > 7  # an unquoted comma split the amount
    assert min(wrong["OnlineTransactions.csv"]) < 7  # a truncated record
    assert 5 in wrong["Customers.csv"]


def test_sample_values_come_from_the_seed_domains() -> None:
    domains = {
        ("OnlineTransactions.csv", "PaymentMethod"): {
            "Credit Card",
            "Debit Card",
            "PayPal",
            "Gift Card",
        },
        ("InStoreTransactions.csv", "PaymentMethod"): {"Cash", "Credit Card", "Debit Card"},
        ("OnlineTransactions.csv", "Status"): {"Completed", "Pending", "Failed"},
        ("Products.csv", "Category"): {"Electronics", "Toys", "Clothing", "Books", "Home"},
        ("LoyaltyAccounts.csv", "TierLevel"): {"Bronze", "Silver", "Gold", "Platinum"},
        ("CustomerServiceInteractions.csv", "IssueType"): {
            "Complaint",
            "Product Inquiry",
            "Technical Issue",
            "Other",
        },
        ("CustomerServiceInteractions.csv", "ResolutionStatus"): {
            "Resolved",
            "Pending",
            "Escalated",
        },
        ("LoyaltyTransactions.csv", "Reason"): {"Purchase", "Promotion", "Referral", "Correction"},
        ("Agents.csv", "Department"): {"Billing", "Technical Support"},
        ("Agents.csv", "Shift"): {"Morning", "Afternoon", "Evening"},
    }
    for (file, column), expected in domains.items():
        seen = {r[column].strip() for r in well_formed(sample(file))}
        assert expected <= seen, (file, column, expected - seen)
    assert {r["TierLevel"].strip() for r in well_formed(sample("LoyaltyAccounts.csv"))} <= {
        "Bronze",
        "Silver",
        "Gold",
        "Platinum",
    }
    joins = [r["JoinDate"] for r in well_formed(sample("LoyaltyAccounts.csv"))]
    assert all(j[:4] in {"2020", "2021", "2022", "2023", "2024"} for j in joins)
