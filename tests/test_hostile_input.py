"""Issue 15, "Smaller ones": input a hostile or careless user gives the loader, each
refused with one clear line or read the same way by both of the loader's readers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loader.lake import LocalLake
from loader.records import NULL_MARK, fast_path_allowed
from loader.warehouse import DuckDBWarehouse
from tests.sources import write_source
from tests.test_loader import REPO, bootstrap, query


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    return {
        "lake": tmp_path / "lake",
        "db": tmp_path / "wh" / "c360.duckdb",
        "src": tmp_path / "src",
    }


def test_a_duplicated_unknown_column_is_ignored_not_refused(env, capsys):
    write_source(
        env["src"],
        headers={"agents": ["AgentID", "Notes", "Name", "Department", "Shift", "Notes"]},
        rows={"agents": [["1", "a", "Terry", "Billing", "Day", "b"]]},
    )
    assert bootstrap(env) == 0
    err = capsys.readouterr().err
    assert "Agents.csv: column(s) Notes are not in the contract and are ignored" in err
    assert query(env["db"], "select agent_id, name, shift from raw.agents") == [
        ("1", "Terry", "Day")
    ]
    # A contract column twice is still refused: which one holds the values?
    write_source(env["src"], headers={"agents": ["AgentID", "Name", "Department", "Shift", "NAME"]})
    assert bootstrap(env) == 2
    assert "Agents.csv: column 'NAME' appears twice in the header" in capsys.readouterr().err


def test_two_files_matching_in_other_cases_are_ambiguous_not_missing(env, capsys):
    write_source(env["src"], skip={"stores"})
    header = "StoreID,Location,Manager,OpenHours\n"
    (env["src"] / "stores.csv").write_text(header + "1,A,B,9-5\n")
    (env["src"] / "STORES.CSV").write_text(header + "2,C,D,9-5\n")
    if len([p for p in env["src"].iterdir() if p.name.lower() == "stores.csv"]) < 2:
        pytest.skip("a case-insensitive file system holds one of the two")
    assert bootstrap(env) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: Stores.csv: 2 files in {env['src']} match it in some case (STORES.CSV, "
        "stores.csv): which one is the extract is ambiguous; keep one, or name it exactly "
        "Stores.csv"
    )
    assert not env["lake"].exists() and not env["db"].exists()  # nothing changed
    (env["src"] / "STORES.CSV").unlink()  # one left: found in any case
    assert bootstrap(env) == 0


def test_hostile_header_names_are_printed_escaped(env, capsys):
    hostile = "\x1b[31mred\x1b[0m\u202eevil\nnext"
    write_source(
        env["src"],
        headers={"agents": ["AgentID", "Name", "Department", "Shift", hostile]},
        rows={"agents": [["1", "Terry", "Billing", "Day", "x"]]},
    )
    assert bootstrap(env) == 0
    err = capsys.readouterr().err
    assert "column(s) \\x1b[31mred\\x1b[0m\\u202eevil\\nnext are not in the contract" in err
    assert "\x1b" not in err and "\u202e" not in err
    # In a refusal too (the header names it lists).
    write_source(env["src"], headers={"agents": ["AgentID", "Name", "Department", hostile]})
    assert bootstrap(env) == 2
    err = capsys.readouterr().err
    assert "required column 'Shift' is missing" in err and "\\x1b[31mred" in err
    assert "\x1b" not in err and err.count("\n") == 1


def run_loader(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **variables},
    )


def test_a_duckdb_path_with_a_single_quote_is_refused_clearly(tmp_path):
    src = write_source(tmp_path / "src")
    db = tmp_path / "it's.duckdb"
    p = run_loader(
        "bootstrap",
        "--source",
        str(src),
        "--lake",
        str(tmp_path / "lake"),
        C360_DUCKDB_PATH=str(db),
    )
    assert p.returncode == 2
    assert p.stderr.splitlines() == [
        f"error: the DuckDB path {db} (--duckdb or C360_DUCKDB_PATH) contains a single "
        "quote ('), which dbt-duckdb puts into SQL unescaped, so dbt build would fail on "
        "it: choose a path without '"
    ]
    assert not db.exists() and not (tmp_path / "lake").exists()


def test_an_existing_file_that_is_not_duckdb_is_refused(env, capsys):
    write_source(env["src"])
    not_db = env["db"].with_name("x.csv")
    not_db.parent.mkdir(parents=True)
    not_db.write_text("a,b\n1,2\n")
    env = {**env, "db": not_db}
    assert bootstrap(env) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"error: the DuckDB path {not_db} (--duckdb or C360_DUCKDB_PATH) is an existing "
        "file that is not a DuckDB database: nothing was changed; name the warehouse's "
        "file, or a new one"
    )
    assert not_db.read_text() == "a,b\n1,2\n"
    # reset refuses it before it empties the lake (the lake holds the landed files).
    landed = sorted(p for p in env["lake"].rglob("*") if p.is_file())
    assert landed
    p = run_loader("reset", "--yes", "--lake", str(env["lake"]), "--duckdb", str(not_db))
    assert p.returncode == 2 and "is not a DuckDB database" in p.stderr
    assert not_db.read_text() == "a,b\n1,2\n"
    assert sorted(p for p in env["lake"].rglob("*") if p.is_file()) == landed
    # A real DuckDB file, or a new path, is fine.
    assert bootstrap({**env, "db": not_db.with_name("new.duckdb")}) == 0


def test_the_null_marker_in_a_field_is_text_on_both_paths(tmp_path, monkeypatch):
    """DuckDB's reader reads NULL_MARK as an absent field; Python reads it as text. A file
    holding it goes to Python, so a field equal to it is that text whatever the path."""
    src = write_source(
        tmp_path / "src",
        rows={"agents": [["1", NULL_MARK, "Billing", "Day"], ["2", "Al", "Billing", "Day"]]},
    )
    assert not fast_path_allowed(src / "Agents.csv")
    assert fast_path_allowed(src / "Stores.csv")
    lake = LocalLake(tmp_path / "lake")
    from loader.bootstrap import land_source, validate_source

    land_source(validate_source(src), lake)
    db = tmp_path / "wh.duckdb"
    DuckDBWarehouse(db).sync(lake)
    assert query(db, "select storage from raw._loads where table_name = 'agents'") == [("table",)]
    assert query(db, "select agent_id, name from raw.agents order by 1") == [
        ("1", NULL_MARK),
        ("2", "Al"),
    ]
    assert query(db, "select count(*) from raw.malformed_records") == [(0,)]
    # What DuckDB's reader alone would have made of it: NULL (issue 15's finding).
    monkeypatch.setattr("loader.warehouse.fast_path_allowed", lambda path: True)
    fast = tmp_path / "fast.duckdb"
    DuckDBWarehouse(fast).sync(lake)
    assert query(fast, "select agent_id, name from raw.agents order by 1") == [
        ("1", None),
        ("2", "Al"),
    ]


class Holder:
    """Another process holding a DuckDB file open for writing, as a bootstrap does."""

    def __init__(self, db: Path, seconds: float) -> None:
        code = (
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('held', flush=True); time.sleep(float(sys.argv[2]))"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "held\n"

    def __enter__(self) -> Holder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def test_dbt_while_the_warehouse_is_held_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    import duckdb

    from loader.cli import main

    db = tmp_path / "c360.duckdb"
    duckdb.connect(str(db)).close()
    runs: list[tuple[list[str], str]] = []

    def fake_run(cmd, env):
        runs.append((cmd, env["C360_DUCKDB_PATH"]))
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.delenv("DBT_TARGET", raising=False)
    with Holder(db, 60):
        assert main(["dbt", "--duckdb", str(db), "build"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: the warehouse {db} is in use by another process")
        assert "Could not set lock" in err and err.count("\n") == 1 and "Traceback" not in err
        assert runs == []
        # Another target does not use the DuckDB file: no check.
        assert main(["dbt", "--duckdb", str(db), "build", "--target", "sqlserver"]) == 0
        assert runs[-1][0][1:] == ["build", "--target", "sqlserver"]
    # --wait waits for the holder to finish, then runs dbt with the arguments given.
    with Holder(db, 2):
        assert main(["dbt", "--wait", "30", "--duckdb", str(db), "build", "-s", "gold"]) == 0
    assert runs[-1] == (
        [str(Path(sys.executable).with_name("dbt")), "build", "-s", "gold"],
        str(db),
    )
