"""The Pythons the project runs on: 3.11, 3.12 and 3.13.

`make venv` makes .venv with the newest supported Python that ``scripts/find-python``
finds (or the one named by ``PY``). The fast tests here keep that script, pyproject's
``requires-python`` and its classifiers in step, and check what the script picks. The
slow one proves the user's run on a second Python, another version than the one running
this suite: a fresh venv with that interpreter, ``requirements.lock`` and the project
installed as the Makefile does, ``python -m loader bootstrap`` and ``dbt build`` on
``data/sample`` into temporary paths, and every relation compared with the same build by
this suite's own venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import duckdb
import pytest
from packaging.specifiers import SpecifierSet

from tests.warehouse_fixture import REPO, Warehouse, built_warehouse

FIND_PYTHON = REPO / "scripts" / "find-python"
THIS = "{}.{}".format(*sys.version_info[:2])


def find_python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FIND_PYTHON), *args], capture_output=True, text=True, timeout=120, check=False
    )


def found_pythons() -> dict[str, str]:
    """Every supported Python on this machine, {"3.13": path}, newest first."""
    p = find_python("--all")
    return dict(line.split(" ", 1) for line in p.stdout.splitlines() if line.strip())


def version_of(python: str) -> str:
    return subprocess.run(
        [python, "-c", 'import sys; print("%d.%d" % sys.version_info[:2])'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# ------------------------------------------------------------------ one list of versions


def test_find_python_pyproject_and_classifiers_name_the_same_versions():
    script = re.search(r"^SUPPORTED=\(([^)]*)\)", FIND_PYTHON.read_text(), re.M)
    assert script, "SUPPORTED=(...) not found in scripts/find-python"
    in_script = script.group(1).split()
    assert in_script == sorted(in_script, key=lambda v: tuple(map(int, v.split("."))))[::-1], (
        "scripts/find-python must list the versions newest first"
    )
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    allowed = SpecifierSet(project["requires-python"])
    in_range = [f"3.{m}" for m in range(30, -1, -1) if f"3.{m}" in allowed]
    assert in_script == in_range, (in_script, project["requires-python"])
    classified = sorted(
        c.rsplit(" ", 1)[1]
        for c in project.get("classifiers", [])
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert sorted(in_script) == classified
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["target-version"] == "py" + in_script[-1].replace(".", "")


# ------------------------------------------------------------------ what find-python picks


def test_find_python_picks_the_newest_found_and_checks_a_named_one():
    found = found_pythons()
    for version, path in found.items():
        assert version_of(path) == version, path
    default = find_python()
    if found:
        assert default.returncode == 0, default.stderr
        assert default.stdout.strip() == next(iter(found.values()))
    else:  # this suite's Python was named by its path, and none is on PATH or in pyenv
        assert default.returncode == 1 and "no supported Python found" in default.stderr
    mine = find_python(sys.executable)
    assert mine.returncode == 0 and version_of(mine.stdout.strip()) == THIS, mine.stderr
    for version, path in found.items():
        by_version = find_python(version)
        assert by_version.returncode == 0 and version_of(by_version.stdout.strip()) == version
        by_path = find_python(path)
        assert by_path.returncode == 0 and by_path.stdout.strip() == path
    for unsupported in ("3.10", "3.14"):
        p = find_python(unsupported)
        assert p.returncode == 1
        assert f"Python {unsupported} is not supported" in p.stderr
    p = find_python("/bin/true")
    assert p.returncode == 1 and "does not run a Python" in p.stderr


# ------------------------------------------------------------------ the run on a second Python


def second_python() -> tuple[str, str]:
    """Another supported Python than the one running the suite: $C360_SECOND_PYTHON if set,
    else the oldest other one found (so that, .venv being made with the newest, the two
    ends of the range run)."""
    named = os.environ.get("C360_SECOND_PYTHON")
    if named:
        p = find_python(named)
        assert p.returncode == 0, p.stderr
        path = p.stdout.strip()
        version = version_of(path)
        assert version != THIS, f"C360_SECOND_PYTHON={named} is {THIS}, the suite's own Python"
        return version, path
    found = found_pythons()
    others = [v for v in found if v != THIS]
    if not others:
        pytest.skip(
            f"no second supported Python on this machine: scripts/find-python --all found "
            f"only {', '.join(found) or 'none'}, and this suite runs on {THIS}"
        )
    return others[-1], found[others[-1]]


def run(cmd: list[str], *, what: str, timeout: float, **kw) -> subprocess.CompletedProcess[str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{what}: no end after {timeout:.0f} s: {' '.join(cmd)}")
        raise AssertionError from e
    out = p.stdout[-3000:] + p.stderr[-3000:]
    assert p.returncode == 0, f"{what} failed ({p.returncode}):\n{out}"
    return p


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every relation of raw, silver, audit and gold."""
    names = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw', 'silver', 'audit', 'gold') order by 1"
    ).fetchall()
    return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


def figures(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    """Every row of a relation, its lineage columns (_built_at, ...) left out, floats
    rounded, sorted."""
    schema, table = relation.split(".")
    cols = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if not c.startswith("_")
    ]
    rows = con.execute(f"select {', '.join(cols)} from {relation}").fetchall()

    def norm(x: object) -> object:
        return round(x, 6) if isinstance(x, float) else x

    return sorted(
        (tuple(norm(x) for x in r) for r in rows),
        key=lambda r: tuple((x is None, str(x)) for x in r),
    )


@pytest.mark.slow
def test_the_users_run_on_a_second_python(tmp_path_factory: pytest.TempPathFactory):
    version, python = second_python()
    # the same build by this suite's venv (shared with the browser tests)
    warehouse: Warehouse = built_warehouse(tmp_path_factory)
    work = Path(tempfile.mkdtemp(prefix=f"c360-py{version}-"))
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.pop("DBT_TARGET", None)
    env.update(
        C360_DUCKDB_PATH=str(work / "warehouse" / "customer360.duckdb"),
        C360_LAKE=str(work / "lake"),
        DBT_PROFILES_DIR=str(REPO),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    venv = work / "venv"
    vpy, pip = str(venv / "bin" / "python"), [str(venv / "bin" / "python"), "-m", "pip"]
    took: dict[str, float] = {}
    try:
        t = time.monotonic()
        run([python, "-m", "venv", str(venv)], what=f"python{version} -m venv", timeout=300)
        assert version_of(vpy) == version
        # As `make venv` does; --no-deps, then `pip check`: a dependency that the lock
        # lacks on this version fails here instead of being fetched unpinned. No
        # bytecode at install time: what runs is compiled when imported.
        run(
            [*pip, "install", "--quiet", "--no-compile", "--no-deps", "-r", "requirements.lock"],
            what=f"pip install -r requirements.lock on Python {version}",
            timeout=900,
            cwd=REPO,
            env=env,
        )
        run([*pip, "check"], what=f"pip check on Python {version}", timeout=300, env=env)
        run(
            [*pip, "install", "--quiet", "--no-compile", "--no-deps", "-e", str(REPO)],
            what=f"pip install --no-deps -e . on Python {version}",
            timeout=600,
            env=env,
        )
        took["install"] = time.monotonic() - t

        t = time.monotonic()
        # The user's commands, from the repository root, as `make run` runs them.
        run(
            [vpy, "-m", "loader", "bootstrap"],
            what="python -m loader bootstrap",
            timeout=600,
            cwd=REPO,
            env=env,
        )
        dbt = venv / "bin" / "dbt"
        assert dbt.read_text().splitlines()[0] == f"#!{vpy}", "dbt is not the new venv's"
        built = run(
            [str(dbt), "build", "--target-path", str(work / "t"), "--log-path", str(work / "l")],
            what=f"dbt build on Python {version}",
            timeout=900,
            cwd=REPO,
            env=env,
        )
        took["bootstrap + dbt build"] = time.monotonic() - t
        assert re.search(r"Done\. PASS=[1-9]\d* WARN=\d+ ERROR=0 SKIP=0", built.stdout), (
            built.stdout[-3000:]
        )

        t = time.monotonic()
        db = Path(env["C360_DUCKDB_PATH"])
        with (
            duckdb.connect(str(db), read_only=True) as con,
            duckdb.connect(str(warehouse.db), read_only=True) as ref,
        ):
            mine, theirs = relations(con), relations(ref)
            assert mine == theirs, f"row counts on Python {version} differ from {THIS}'s build"
            gold = [r for r in mine if r.startswith("gold.")]
            assert len(gold) >= 5 and all(mine[r] > 0 for r in gold), mine
            for rel in [*gold, "audit.rejected_rows"]:
                assert figures(con, rel) == figures(ref, rel), (
                    f"{rel} on Python {version} differs from the same build on {THIS}"
                )
        took["compare"] = time.monotonic() - t
        figs = {k: round(v, 1) for k, v in took.items()}
        print(f"Python {version} ({python}) against {THIS}: {figs} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
