"""Unit tests of the reference implementation (``tests/oracle.py``) on tiny hand-made sources.

Every expected value here is written from CONTRACT.md, not taken from the oracle's output.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

try:
    from tests.oracle import (
        GOLD_COLUMNS,
        REJECTED_COLUMNS,
        SILVER_COLUMNS,
        Result,
        SourceError,
        compute,
        parse_date,
        parse_datetime,
        parse_decimal,
        parse_int,
    )
except ImportError:  # tests/ on sys.path (pytest's rootdir-less "prepend" import mode)
    from oracle import (  # type: ignore[no-redef]
        GOLD_COLUMNS,
        REJECTED_COLUMNS,
        SILVER_COLUMNS,
        Result,
        SourceError,
        compute,
        parse_date,
        parse_datetime,
        parse_decimal,
        parse_int,
    )

HEADERS: dict[str, str] = {
    "Customers.csv": "CustomerID,Name,Email,Address",
    "Products.csv": "ProductID,Name,Category,Price",
    "Stores.csv": "StoreID,Location,Manager,OpenHours",
    "Agents.csv": "AgentID,Name,Department,Shift",
    "OnlineTransactions.csv": "OrderID,CustomerID,ProductID,DateTime,PaymentMethod,Amount,Status",
    "InStoreTransactions.csv": "TransactionID,CustomerID,StoreID,DateTime,Amount,PaymentMethod",
    "CustomerServiceInteractions.csv": (
        "InteractionID,CustomerID,DateTime,AgentID,IssueType,ResolutionStatus"
    ),
    "LoyaltyAccounts.csv": "LoyaltyID,CustomerID,PointsEarned,TierLevel,JoinDate",
    "LoyaltyTransactions.csv": "LoyaltyID,DateTime,PointsChange,Reason",
}


def make_source(root: Path, name: str, rows: dict[str, list[str]] | None = None) -> Path:
    """A source folder: every file has the standard header plus the given data lines (LF)."""
    folder = root / name
    folder.mkdir()
    rows = rows or {}
    for file, header in HEADERS.items():
        lines = [header, *rows.get(file, [])]
        (folder / file).write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return folder


def write_raw(folder: Path, file: str, text: str | bytes) -> None:
    """Overwrite one file with exact bytes (for BOM, CRLF, quoting tests)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (folder / file).write_bytes(data)


def fates(result: Result, source_table: str) -> list[tuple[int, int, str]]:
    """``(load_index, source_row, reason)`` of one table's rejections, in order."""
    return sorted(
        (r["load_index"], r["source_row"], r["reason"]) for r in result.rejected_in(source_table)
    )


def keys(result: Result, table: str, column: str) -> list[object]:
    return [row[column] for row in result.silver[table]]


# ------------------------------------------------------------------------------------------
# Value formats
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["7.5", "1e3", "0x1F", "1_000", "12a", "2147483648", "-2147483649", "", "+", "٣"]
)
def test_int_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_int(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [("42", 42), ("+7", 7), ("-7", -7), ("007", 7), ("2147483647", 2147483647),
     ("-2147483648", -2147483648)],
)  # fmt: skip
def test_int_accepts(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.005", "1.01"),
        ("-1.005", "-1.01"),
        ("1.004", "1.00"),
        ("2.675", "2.68"),
        ("7", "7.00"),
        ("+3.1", "3.10"),
        ("12345678.994", "12345678.99"),
        ("00000000012.50", "12.50"),
        ("-0.001", "0.00"),
    ],
)
def test_decimal_accepts(text: str, value: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(value)
    assert str(parsed) == value


@pytest.mark.parametrize(
    "text",
    ["123456789.00", "99999999.995", "1e3", "1,000", "$5", "5.", ".5", "1.2.3", "abc", "0x1F",
     "1_000.00", "- 5"],
)  # fmt: skip
def test_decimal_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_datetime_formats() -> None:
    assert parse_datetime("2025-02-03 10:00:00") == datetime(2025, 2, 3, 10, 0, 0)
    assert parse_datetime("2025-02-03T10:00:00.123") == datetime(2025, 2, 3, 10, 0, 0, 123000)
    assert parse_datetime("2025-01-20 22:34:31.000") == datetime(2025, 1, 20, 22, 34, 31)
    assert parse_datetime("2025-01-20 22:34:31.1234567") == datetime(
        2025, 1, 20, 22, 34, 31, 123456
    )
    for bad in [
        "2025-02-30 10:00:00",
        "2025-02-03",
        "2025-02-03 24:00:00",
        "2025-02-03 10:60:00",
        "2025-02-03 10:00:60",
        "2025-2-3 10:00:00",
        "2025-02-03 10:00",
        "2025-02-03 10:00:00.",
        "2025/02/03 10:00:00",
        "2025-02-03 10:00:00Z",
        "0000-01-01 00:00:00",
    ]:
        with pytest.raises(ValueError):
            parse_datetime(bad)


def test_date_formats() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    for bad in ["2023-02-29", "2024-13-01", "2024-02-03 10:00:00", "20240203", "2024-2-3"]:
        with pytest.raises(ValueError):
            parse_date(bad)


# ------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------


def test_bom_crlf_header_case_order_spaces_and_extra_columns(tmp_path: Path) -> None:
    src = make_source(tmp_path, "a")
    write_raw(
        src,
        "Customers.csv",
        b"\xef\xbb\xbf Email ,extra, customerid ,NAME,Address\r\n"
        b'a@x.org,zzz,1,Ann,"1 Main St, Town"\r\n'
        b'b@x.org,zzz, 2 ,  Bob  ,"line1\r\nline2"\r\n',
    )
    result = compute([src])
    assert result.silver["customers"] == [
        {"customer_id": 1, "name": "Ann", "email": "a@x.org", "address": "1 Main St, Town"},
        {"customer_id": 2, "name": "Bob", "email": "b@x.org", "address": "line1\r\nline2"},
    ]
    assert result.rejected == []
    assert result.records[(0, "Customers.csv")] == 2


def test_record_numbering_blank_lines_and_multiline_fields(tmp_path: Path) -> None:
    src = make_source(tmp_path, "a")
    write_raw(
        src,
        "Customers.csv",
        "CustomerID,Name,Email,Address\n"
        "\n"  # blank: not a record
        '1,Ann,a@x,"two\nlines"\n'  # record 1, spans two lines
        "\n"
        "2,Bob,b@x\n"  # record 2: three fields -> malformed
        "3,Cy,c@x,addr,extra\n"  # record 3: five fields -> malformed
        '4,"Dee"x,d@x,addr\n'  # record 4: broken quoting -> malformed
        "5,Eve,e@x,addr\n",  # record 5
    )
    result = compute([src])
    assert keys(result, "customers", "customer_id") == [1, 5]
    assert fates(result, "Customers") == [
        (0, 2, "malformed_line"),
        (0, 3, "malformed_line"),
        (0, 4, "malformed_line"),
    ]
    by_row = {r["source_row"]: r for r in result.rejected}
    assert by_row[2]["record_key"] == "2"
    assert by_row[3]["record_key"] == "3"
    assert by_row[4]["record_key"] is None  # the csv reader refused the record
    assert by_row[2]["source_file"] == "Customers.csv"
    assert by_row[2]["source_table"] == "Customers"
    assert set(by_row[2]) == set(REJECTED_COLUMNS)
    assert result.records[(0, "Customers.csv")] == 5


def test_an_unterminated_quote_costs_its_line_only(tmp_path: Path) -> None:
    # CONTRACT.md section 2: the record would run to the end of the file; only its first
    # line is rejected, and record 3 is read from the next line.
    src = make_source(tmp_path, "a")
    write_raw(
        src, "Customers.csv", 'CustomerID,Name,Email,Address\n1,Ann,a@x,x\n2,"Bob,b@x,x\n3,C,c,x\n'
    )
    result = compute([src])
    assert keys(result, "customers", "customer_id") == [1, 3]
    assert fates(result, "Customers") == [(0, 2, "malformed_line")]
    assert result.rejected[0]["record_key"] == "2"  # the fields its line completes
    assert result.records[(0, "Customers.csv")] == 3


def test_a_stray_quote_up_to_the_next_quote_costs_one_line(tmp_path: Path) -> None:
    # The opening quote of record 2 is closed in record 5 by a quote followed by text,
    # which the csv reader refuses: still only record 2's line is lost. Record 3 is a
    # good record spanning two lines (a quoted line break): it keeps both, and a record
    # spanning lines with the wrong field count costs its first line (record 4, CRLF);
    # its second line is read as record 5, with 2 fields.
    src = make_source(tmp_path, "a")
    write_raw(
        src,
        "Customers.csv",
        "CustomerID,Name,Email,Address\n"
        "1,Ann,a@x,x\n"
        '2,Bob,"PayPal,x\n'  # record 2: a stray opening quote
        '3,Cy,c@x,"two\nlines"\n'  # record 3: good, two lines
        '4,Di,"d@x\r\nsecond",x,extra\r\n'  # record 4: five fields over two lines
        '6,Ed,e@x,"x"y\n'  # record 6: broken quoting on one line
        "7,Fa,f@x,x\r"  # record 7, a lone CR ends its line
        "8,Gu,g@x,x",  # record 8, no line end
    )
    result = compute([src])
    assert keys(result, "customers", "customer_id") == [1, 3, 7, 8]
    assert fates(result, "Customers") == [
        (0, 2, "malformed_line"),
        (0, 4, "malformed_line"),
        (0, 5, "malformed_line"),
        (0, 6, "malformed_line"),
    ]
    by_row = {r["source_row"]: r["record_key"] for r in result.rejected}
    assert by_row == {2: "2", 4: "4", 5: 'second"', 6: None}
    assert result.records[(0, "Customers.csv")] == 8


def test_missing_column_is_refused_with_file_and_column(tmp_path: Path) -> None:
    src = make_source(tmp_path, "a")
    write_raw(src, "Stores.csv", "StoreID,Location,Manager\n1,X,Y\n")
    with pytest.raises(SourceError, match=r"Stores\.csv.*OpenHours"):
        compute([src])


def test_missing_file_is_refused(tmp_path: Path) -> None:
    src = make_source(tmp_path, "a")
    (src / "Agents.csv").unlink()
    with pytest.raises(SourceError, match=r"Agents\.csv"):
        compute([src])


# ------------------------------------------------------------------------------------------
# Fates and their precedence
# ------------------------------------------------------------------------------------------


def test_each_reason_and_precedence(tmp_path: Path) -> None:
    long_name = "N" * 101
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": [
                "1,Ann,a@x,addr",  # 1 silver
                f",{long_name},b@x,addr",  # 2 missing_key beats invalid_value
                f"x1,{long_name},c@x,addr",  # 3 invalid_key beats invalid_value
                f"4,{long_name},d@x,addr",  # 4 invalid_value (101 characters)
                "5,Bob,e@x",  # 5 malformed_line
                "   ,Bob,e@x,addr",  # 6 missing_key (blank after trimming)
                f"6,{'N' * 100},f@x,addr",  # 7 silver: exactly 100 characters
            ],
            "Products.csv": ["10,Widget,Toys,1.50"],
            "OnlineTransactions.csv": [
                "100,999,10,2025-01-20 10:00:00,Card,abc,Completed",  # invalid_value beats orphan
                "101,999,10,2025-01-20 10:00:00,Card,5.00,Completed",  # orphan customer
                "102,1,11,2025-01-20 10:00:00,Card,5.00,Completed",  # orphan product
                "103,,,2025-01-20 10:00:00,Card,5.00,Completed",  # NULL FKs kept
                "104,1,10,2025-01-20 10:00:00,Card,5.00,Completed",  # superseded by 6
                "104,999,10,2025-01-20 10:00:00,Card,5.00,Completed",  # orphan: not a valid row
                "104,1,10,2025-01-20 11:00:00,Card,6.00,Completed",  # the winner
                "105,4,10,2025-01-20 11:00:00,Card,6.00,Completed",  # customer 4 was rejected
                "1.0,1,10,2025-01-20 11:00:00,Card,6.00,Completed",  # invalid_key
            ],
        },
    )
    result = compute([src])
    assert keys(result, "customers", "customer_id") == [1, 6]
    assert fates(result, "Customers") == [
        (0, 2, "missing_key"),
        (0, 3, "invalid_key"),
        (0, 4, "invalid_value"),
        (0, 5, "malformed_line"),
        (0, 6, "missing_key"),
    ]
    assert fates(result, "OnlineTransactions") == [
        (0, 1, "invalid_value"),
        (0, 2, "orphan_reference"),
        (0, 3, "orphan_reference"),
        (0, 5, "duplicate_superseded"),
        (0, 6, "orphan_reference"),
        (0, 8, "orphan_reference"),
        (0, 9, "invalid_key"),
    ]
    rows = {r["order_id"]: r for r in result.silver["online_transactions"]}
    assert sorted(rows) == [103, 104]
    assert rows[103]["customer_id"] is None and rows[103]["product_id"] is None
    assert rows[104] == {
        "order_id": 104,
        "customer_id": 1,
        "product_id": 10,
        "ordered_at": datetime(2025, 1, 20, 11, 0, 0),
        "payment_method": "Card",
        "amount": Decimal("6.00"),
        "status": "Completed",
    }
    keys_by_row = {r["source_row"]: r["record_key"] for r in result.rejected_in("Customers")}
    assert keys_by_row[2] == "" and keys_by_row[3] == "x1" and keys_by_row[6] == ""
    # every record has exactly one fate
    for table, file in [("customers", "Customers.csv"), ("online_transactions",
                                                          "OnlineTransactions.csv")]:  # fmt: skip
        rejected = [r for r in result.rejected if r["source_file"] == file]
        assert len(result.silver[table]) + len(rejected) == result.records[(0, file)]


def test_int_and_decimal_formats_in_a_file(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Products.csv": [
                " 42 ,A,Toys, 1.005 ",  # 1 silver: trimmed
                "7.5,B,Toys,1",  # 2 invalid_key
                "1e3,B,Toys,1",  # 3
                "0x1F,B,Toys,1",  # 4
                "1_000,B,Toys,1",  # 5
                "12a,B,Toys,1",  # 6
                "2147483648,B,Toys,1",  # 7
                "43,B,Toys,123456789.00",  # 8 invalid_value: 9 digits
                "44,B,Toys,-1.005",  # 9 silver
                "45,B,Toys,1e3",  # 10 invalid_value
                "46,,,",  # 11 silver: all NULL but the key
            ]
        },
    )
    result = compute([src])
    assert fates(result, "Products") == [(0, n, "invalid_key") for n in range(2, 8)] + [
        (0, 8, "invalid_value"),
        (0, 10, "invalid_value"),
    ]
    assert result.silver["products"] == [
        {"product_id": 42, "name": "A", "category": "Toys", "price": Decimal("1.01")},
        {"product_id": 44, "name": "B", "category": "Toys", "price": Decimal("-1.01")},
        {"product_id": 46, "name": None, "category": None, "price": None},
    ]
    assert [r["record_key"] for r in result.rejected_in("Products")][:2] == ["7.5", "1e3"]


def test_datetime_and_date_formats_in_files(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr"],
            "OnlineTransactions.csv": [
                "1,1,,2025-02-30 10:00:00,Card,1.00,Completed",  # invalid_value
                "2,1,,2025-02-03T10:00:00.123,Card,1.00,Completed",  # silver
                "3,1,,2025-02-03,Card,1.00,Completed",  # invalid_value: a date
                "4,1,,,Card,1.00,Completed",  # silver, NULL timestamp
            ],
            "LoyaltyAccounts.csv": [
                "1,1,10,Gold,2024-02-29",  # silver
                "2,1,10,Gold,2023-02-29",  # invalid_value
                "3,1,10,Gold,2024-02-03 00:00:00",  # invalid_value
            ],
        },
    )
    result = compute([src])
    assert fates(result, "OnlineTransactions") == [(0, 1, "invalid_value"), (0, 3, "invalid_value")]
    assert [r["ordered_at"] for r in result.silver["online_transactions"]] == [
        datetime(2025, 2, 3, 10, 0, 0, 123000),
        None,
    ]
    assert fates(result, "LoyaltyAccounts") == [(0, 2, "invalid_value"), (0, 3, "invalid_value")]
    assert result.silver["loyalty_accounts"] == [
        {
            "loyalty_id": 1,
            "customer_id": 1,
            "points_earned": 10,
            "tier_level": "Gold",
            "joined_on": date(2024, 2, 29),
        }
    ]


def test_text_length_limits(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr"],
            "OnlineTransactions.csv": [
                f"1,1,,2025-01-01 00:00:00,Card,1,{'S' * 20}",  # silver: Status VARCHAR(20)
                f"2,1,,2025-01-01 00:00:00,Card,1,{'S' * 21}",  # invalid_value
                f"3,1,,2025-01-01 00:00:00,{'P' * 51},1,Done",  # invalid_value
                "4,1,,2025-01-01 00:00:00,Carte bleue éé,1,Done",  # unseen category: kept
            ],
        },
    )
    result = compute([src])
    assert keys(result, "online_transactions", "order_id") == [1, 4]
    assert fates(result, "OnlineTransactions") == [(0, 2, "invalid_value"), (0, 3, "invalid_value")]


# ------------------------------------------------------------------------------------------
# Last occurrence wins
# ------------------------------------------------------------------------------------------


def test_last_wins_within_a_file_and_across_loads(tmp_path: Path) -> None:
    first = make_source(
        tmp_path,
        "load1",
        {"Customers.csv": ["1,Ann v1,a@x,addr", "2,Bob v1,b@x,addr", "1,Ann v2,a@x,addr"]},
    )
    second = make_source(
        tmp_path,
        "load2",
        {"Customers.csv": ["2,Bob v2,b@x,addr", "02,Bob v3,b@x,addr", "3,Cy,c@x,x", "3,"]},
    )
    result = compute([first, second])
    assert [(r["customer_id"], r["name"]) for r in result.silver["customers"]] == [
        (1, "Ann v2"),
        (2, "Bob v3"),  # "02" and "2" are the same key
        (3, "Cy"),  # the later "3," is malformed, so not a valid row
    ]
    assert fates(result, "Customers") == [
        (0, 1, "duplicate_superseded"),
        (0, 2, "duplicate_superseded"),
        (1, 1, "duplicate_superseded"),
        (1, 4, "malformed_line"),
    ]
    assert result.lineage["customers"][1] == {
        "load_index": 1,
        "source_file": "Customers.csv",
        "source_row": 2,
    }
    # Loading the same folders in the other order makes the other occurrence win.
    swapped = compute([second, first])
    assert [(r["customer_id"], r["name"]) for r in swapped.silver["customers"]] == [
        (1, "Ann v2"),
        (2, "Bob v1"),
        (3, "Cy"),
    ]


def test_composite_key_duplicates_and_key_reasons(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr"],
            "LoyaltyAccounts.csv": ["7,1,100,Silver,2024-01-01"],
            "LoyaltyTransactions.csv": [
                "7,2025-01-01 10:00:00,5,Purchase",  # 1 superseded by 2 (same typed key)
                "7, 2025-01-01T10:00:00.000 ,6,Bonus",  # 2 silver
                "7,2025-01-01 10:00:01,7,Purchase",  # 3 silver
                "7,2025-13-01 10:00:00,7,Purchase",  # 4 invalid_key
                "7,,7,Purchase",  # 5 missing_key
                "8,2025-01-01 10:00:00,7,Purchase",  # 6 orphan: no account 8
                "7,2025-01-01 10:00:02,x,Purchase",  # 7 invalid_value
            ],
        },
    )
    result = compute([src])
    assert fates(result, "LoyaltyTransactions") == [
        (0, 1, "duplicate_superseded"),
        (0, 4, "invalid_key"),
        (0, 5, "missing_key"),
        (0, 6, "orphan_reference"),
        (0, 7, "invalid_value"),
    ]
    keys_by_row = {r["source_row"]: r["record_key"] for r in result.rejected}
    assert keys_by_row == {
        1: "7|2025-01-01 10:00:00",
        4: "7|2025-13-01 10:00:00",
        5: "7|",
        6: "8|2025-01-01 10:00:00",
        7: "7|2025-01-01 10:00:02",
    }
    assert result.silver["loyalty_transactions"] == [
        {
            "loyalty_id": 7,
            "changed_at": datetime(2025, 1, 1, 10, 0, 0),
            "points_change": 6,
            "reason": "Bonus",
        },
        {
            "loyalty_id": 7,
            "changed_at": datetime(2025, 1, 1, 10, 0, 1),
            "points_change": 7,
            "reason": "Purchase",
        },
    ]


def test_orphan_checked_against_silver_parent(tmp_path: Path) -> None:
    """A child of a rejected parent row is an orphan; a superseded parent key still exists."""
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr", "1,Ann2,a@x,addr", f"2,{'x' * 101},b@x,addr"],
            "LoyaltyAccounts.csv": ["5,2,10,Gold,2024-01-01", "6,1,10,Gold,2024-01-01"],
            "LoyaltyTransactions.csv": ["5,2025-01-01 00:00:00,1,a", "6,2025-01-01 00:00:00,1,a"],
        },
    )
    result = compute([src])
    assert fates(result, "LoyaltyAccounts") == [(0, 1, "orphan_reference")]
    assert fates(result, "LoyaltyTransactions") == [(0, 1, "orphan_reference")]
    assert keys(result, "loyalty_transactions", "loyalty_id") == [6]


# ------------------------------------------------------------------------------------------
# Gold
# ------------------------------------------------------------------------------------------


def _gold_source(tmp_path: Path) -> Path:
    return make_source(
        tmp_path,
        "g",
        {
            "Customers.csv": [
                "1,Ann,a@x,addr",  # High-Value: 600 + 400.00 online
                "2,Bob,b@x,addr",  # One-Time Buyer: one order, Gold tier
                "3,Cy,c@x,addr",  # Loyalty Champion: no orders, Gold (highest of Bronze, Gold)
                "4,Dee,d@x,addr",  # Regular: two small orders, Platinum
                "5,Eve,,addr",  # Regular: nothing at all
            ],
            "Products.csv": ["10,Widget,Toys,1.00", "11,Gadget,Electronics,2.00"],
            "Stores.csv": ["20,Springfield,Moe,9-5", "21,Shelbyville,,9-5"],
            "Agents.csv": ["30,Alice,Billing,Morning", "31,Bert,Tech,Evening", "32,Carl,X,Y"],
            "OnlineTransactions.csv": [
                # 2025-01-20 is a Monday, 2025-01-26 a Sunday.
                "100,1,10,2025-01-20 09:15:00,Card,600.00,Completed",
                "101,1,11,2025-01-26 23:59:59,Card,400.00,Failed",
                "102,2,10,2025-01-20 09:45:00,Card,50.00,Pending",
                "103,4,10,,Card,10.00,Completed",  # no timestamp
                "104,4,,2025-01-21 00:00:00,Card,20.00,Completed",  # no product
            ],
            "InStoreTransactions.csv": [
                "200,1,20,2025-01-19 08:00:00,30.00,Cash",  # Sunday, before Ann's first order
                "201,3,20,2025-01-22 12:00:00,10.01,Cash",  # Wednesday
                "202,3,21,2025-01-22 12:30:00,,Cash",  # NULL amount
                "203,,,2025-01-20 09:00:00,5.00,Cash",  # no customer, no store
            ],
            "CustomerServiceInteractions.csv": [
                "300,1,2025-01-20 10:00:00,30,Billing,Resolved",
                "301,1,2025-01-20 11:00:00,30,Billing,Pending",
                "302,1,2025-01-20 12:00:00,30,Billing,resolved",  # not exactly 'Resolved'
                "303,2,2025-01-20 13:00:00,31,Other,Resolved",
                "304,2,2025-01-20 14:00:00,,Other,",  # no agent, NULL status
            ],
            "LoyaltyAccounts.csv": [
                "1,2,100,Gold,2024-01-01",
                "2,3,50,Bronze,2024-01-01",
                "3,3,70,Gold,2024-01-01",
                "4,4,5,Platinum,2024-01-01",
                "5,4,,Silver,2024-01-01",
            ],
        },
    )


def test_gold_columns_are_exactly_the_contracts(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    for name, columns in GOLD_COLUMNS.items():
        assert result.gold[name], name
        for row in result.gold[name]:
            assert tuple(row) == columns
    for table, columns in SILVER_COLUMNS.items():
        for row in result.silver[table]:
            assert tuple(row) == columns


def test_average_order_value(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    rows = {
        (r["channel"], r["product_id"], r["store_id"]): r
        for r in result.gold["average_order_value"]
    }
    assert set(rows) == {("Online", 10, None), ("Online", 11, None), ("InStore", None, 20),
                         ("InStore", None, 21)}  # fmt: skip
    widget = rows[("Online", 10, None)]
    assert widget["product_name"] == "Widget" and widget["category"] == "Toys"
    assert widget["store_location"] is None
    assert widget["order_count"] == 3  # every status counts
    assert widget["total_amount"] == Decimal("660.00")
    assert widget["average_order_value"] == Decimal("220")
    gadget = rows[("Online", 11, None)]
    assert (gadget["order_count"], gadget["total_amount"]) == (1, Decimal("400.00"))
    spring = rows[("InStore", None, 20)]
    assert spring["store_location"] == "Springfield"
    assert spring["product_name"] is None and spring["category"] is None
    assert (spring["order_count"], spring["total_amount"]) == (2, Decimal("40.01"))
    assert spring["average_order_value"] == Decimal("20.005")
    shelby = rows[("InStore", None, 21)]  # a single transaction with a NULL amount
    assert shelby["order_count"] == 1
    assert shelby["total_amount"] is None and shelby["average_order_value"] is None


def test_customer_segments(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    assert result.gold["customer_segments"] == [
        {"customer_id": 1, "total_spend": Decimal("1000.00"), "total_orders": 2,
         "tier_level": None, "segment": "High-Value"},
        {"customer_id": 2, "total_spend": Decimal("50.00"), "total_orders": 1,
         "tier_level": "Gold", "segment": "One-Time Buyer"},
        {"customer_id": 3, "total_spend": Decimal("0"), "total_orders": 0,
         "tier_level": "Gold", "segment": "Loyalty Champion"},
        {"customer_id": 4, "total_spend": Decimal("30.00"), "total_orders": 2,
         "tier_level": "Platinum", "segment": "Regular"},
        {"customer_id": 5, "total_spend": Decimal("0"), "total_orders": 0,
         "tier_level": None, "segment": "Regular"},
    ]  # fmt: skip


def test_segment_vars(tmp_path: Path) -> None:
    result = compute(
        [_gold_source(tmp_path)],
        high_value_min_spend=Decimal("1000.01"),
        loyalty_champion_tiers=("Gold", "Platinum"),
    )
    segments = {r["customer_id"]: r["segment"] for r in result.gold["customer_segments"]}
    assert segments == {
        1: "Regular",  # 1000.00 < 1000.01; two orders; no tier
        2: "One-Time Buyer",  # rule 2 still comes before rule 3
        3: "Loyalty Champion",
        4: "Loyalty Champion",  # Platinum now counts
        5: "Regular",
    }
    c360 = {r["customer_id"]: r["segment"] for r in result.gold["customer_360"]}
    assert c360 == segments


def test_high_value_beats_one_time_buyer(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr"],
            "OnlineTransactions.csv": ["1,1,,2025-01-01 00:00:00,Card,1000,Completed"],
            "LoyaltyAccounts.csv": ["1,1,1,Gold,2024-01-01"],
        },
    )
    [row] = compute([src]).gold["customer_segments"]
    assert row["segment"] == "High-Value"
    assert row["total_spend"] == Decimal("1000.00")


def test_peak_times(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    got = {
        (r["channel"], r["day_name"], r["day_of_week"], r["hour"]): r["total_transactions"]
        for r in result.gold["peak_times"]
    }
    assert got == {
        ("Online", "Monday", 1, 9): 2,
        ("Online", "Sunday", 7, 23): 1,
        ("Online", "Tuesday", 2, 0): 1,
        ("InStore", "Sunday", 7, 8): 1,
        ("InStore", "Wednesday", 3, 12): 2,
        ("InStore", "Monday", 1, 9): 1,
    }


def test_agent_performance(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    rows = result.gold["agent_performance"]
    assert [(r["agent_id"], r["agent_name"], r["total_interactions"],
             r["resolved_interactions"]) for r in rows] == [
        (30, "Alice", 3, 1),
        (31, "Bert", 1, 1),
    ]  # fmt: skip
    assert abs(rows[0]["resolution_rate"] - Decimal(1) / Decimal(3)) < Decimal("1e-12")
    assert rows[1]["resolution_rate"] == 1


def test_customer_360(tmp_path: Path) -> None:
    result = compute([_gold_source(tmp_path)])
    rows = {r["customer_id"]: r for r in result.gold["customer_360"]}
    assert sorted(rows) == [1, 2, 3, 4, 5]
    assert rows[1] == {
        "customer_id": 1,
        "name": "Ann",
        "email": "a@x",
        "online_orders": 2,
        "online_spend": Decimal("1000.00"),
        "instore_transactions": 1,
        "instore_spend": Decimal("30.00"),
        "total_spend": Decimal("1030.00"),
        "first_purchase_at": datetime(2025, 1, 19, 8, 0, 0),
        "last_purchase_at": datetime(2025, 1, 26, 23, 59, 59),
        "loyalty_tier": None,
        "loyalty_points": 0,
        "service_interactions": 3,
        "unresolved_interactions": 2,  # Pending and 'resolved'
        "segment": "High-Value",
    }
    assert rows[2]["service_interactions"] == 2
    assert rows[2]["unresolved_interactions"] == 1  # the NULL status
    assert rows[2]["loyalty_points"] == 100
    assert rows[3]["loyalty_tier"] == "Gold"
    assert rows[3]["loyalty_points"] == 120
    assert rows[3]["instore_transactions"] == 2
    assert rows[3]["instore_spend"] == Decimal("10.01")  # the NULL amount adds nothing
    assert rows[3]["first_purchase_at"] == datetime(2025, 1, 22, 12, 0, 0)
    assert rows[3]["last_purchase_at"] == datetime(2025, 1, 22, 12, 30, 0)
    assert rows[4]["loyalty_tier"] == "Platinum"
    assert rows[4]["loyalty_points"] == 5  # the NULL points add nothing
    assert rows[4]["first_purchase_at"] == datetime(2025, 1, 21, 0, 0, 0)  # only 104 has one
    assert rows[5] == {
        "customer_id": 5,
        "name": "Eve",
        "email": None,
        "online_orders": 0,
        "online_spend": 0,
        "instore_transactions": 0,
        "instore_spend": 0,
        "total_spend": 0,
        "first_purchase_at": None,
        "last_purchase_at": None,
        "loyalty_tier": None,
        "loyalty_points": 0,
        "service_interactions": 0,
        "unresolved_interactions": 0,
        "segment": "Regular",
    }


def test_highest_tier_across_two_accounts(tmp_path: Path) -> None:
    src = make_source(
        tmp_path,
        "a",
        {
            "Customers.csv": ["1,Ann,a@x,addr", "2,Bob,b@x,addr", "3,Cy,c@x,addr"],
            "LoyaltyAccounts.csv": [
                "1,1,10,Platinum,2024-01-01",
                "2,1,20,Silver,2024-01-01",
                "3,2,1,Bronze,2024-01-01",
                "4,2,2,Silver,2024-01-01",
                "5,3,3,Diamond,2024-01-01",  # not a tier the contract knows
            ],
        },
    )
    result = compute([src])
    tiers = {r["customer_id"]: r["tier_level"] for r in result.gold["customer_segments"]}
    assert tiers == {1: "Platinum", 2: "Silver", 3: None}
    points = {r["customer_id"]: r["loyalty_points"] for r in result.gold["customer_360"]}
    assert points == {1: 30, 2: 3, 3: 3}
