"""loader.records: the physical lines of a file, and how the splitter uses them."""

from __future__ import annotations

import random

import pytest

from loader.contract import EXTRACTS
from loader.records import LineTally, Malformed, count_lines, split_records
from tests import oracle

AGENTS = next(e for e in EXTRACTS if e.table == "agents")


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 24])
def test_count_lines_agrees_with_pythons_text_reading(tmp_path, monkeypatch, block):
    # LF, CRLF and a lone CR end a line, also when a CRLF straddles two blocks.
    monkeypatch.setattr("loader.records.LINE_COUNT_BLOCK", block)
    rng = random.Random(15)
    pieces = [b"a", b"\n", b"\r", b"\r\n", b"xy", b"\r\r\n", b"\n\r"]
    p = tmp_path / "f.csv"
    for _ in range(200):
        p.write_bytes(b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 25))))
        with open(p, encoding="utf-8", newline="") as f:
            assert count_lines(p) == sum(1 for _ in f), p.read_bytes()


def test_records_and_other_lines_add_up_to_the_physical_lines(tmp_path):
    p = tmp_path / "Agents.csv"
    p.write_bytes(
        b"\r\nAgentID,Name,Department,Shift\r\n"  # a blank line, the header
        b'1,"Terry\nEdwards",Billing,Day\n'  # good, 2 lines
        b"\n"  # blank
        b'2,"Al,Billing,Day\r\n'  # malformed: would run to the end; costs 1 line
        b"3,Bo,Sales,Night\r"  # good (a lone CR ends the line)
        b'4,"Cy\r\nDee",Sales,Night,extra\n'  # malformed over 2 lines: costs 1
        b"5,Ed,Sales,Day"  # good, no line end
    )
    tally = LineTally()
    out = list(split_records(p, AGENTS, tally=tally))
    bad = {n: r for n, r in out if isinstance(r, Malformed)}
    good = {n: r[0] for n, r in out if not isinstance(r, Malformed)}
    assert good == {1: "1", 3: "3", 5: 'Dee"', 6: "5"}
    assert {n: (m.text, m.key) for n, m in bad.items()} == {
        2: ('2,"Al,Billing,Day\r\n', "2"),
        4: ('4,"Cy\r\n', "4"),
    }
    # 6 records; other lines: 2 blank, the header, Terry's second line.
    assert (len(out), tally.other, count_lines(p)) == (6, 4, 10)
    # The oracle, reading on its own, gives the same fates.
    read = oracle.read_file(p, AGENTS, 0)
    assert read.record_count == 6
    assert [(r["source_row"], r["record_key"]) for r in read.malformed] == [(2, "2"), (4, "4")]
    assert [r.values["agent_id"] for r in read.records] == ["1", "3", 'Dee"', "5"]


def test_a_ledger_of_an_earlier_loader_gains_the_line_counts(tmp_path):
    import duckdb

    from loader.warehouse import DuckDBWarehouse

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema raw")
    con.execute(  # raw._loads as the loader created it before it counted lines
        "create table raw._loads (table_name varchar, load_id varchar, source_file varchar, "
        "lake_path varchar, sha256 varchar, records bigint, malformed bigint, "
        "loaded_at timestamp, storage varchar, file_path varchar, header_positions varchar, "
        "header_width integer, primary key (table_name, load_id, source_file))"
    )
    con.execute(
        "insert into raw._loads (table_name, load_id, source_file, records) values "
        "('agents', '20250101T000000000000Z', 'Agents.csv', 1)"
    )
    con.close()
    wh = DuckDBWarehouse(db)
    con = wh.connect()
    wh.ensure_schema(con)
    wh.ensure_schema(con)  # idempotent
    assert con.execute(
        "select records, physical_lines, other_lines from raw._loads"
    ).fetchall() == [(1, None, None)]  # the accounting test skips the line check for it
    con.close()
