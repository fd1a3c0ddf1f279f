"""The SQL of the dbt project passes sqlfluff (STYLE.md): every model and singular test,
rendered by dbt (the dbt templater, `.sqlfluff`), in DuckDB's dialect. The same check as
`make lint`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")

pytestmark = pytest.mark.slow


def test_models_and_singular_tests_pass_sqlfluff(tmp_path):
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO),
        "C360_DUCKDB_PATH": str(tmp_path / "lint.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("DBT_TARGET", None)
    r = subprocess.run(
        [str(SQLFLUFF), "lint", "models", "tests/dbt", "--format", "json", "--nofail"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    files = json.loads(r.stdout)
    linted = {f["filepath"] for f in files}
    assert len([p for p in linted if p.startswith("models/")]) >= 35, sorted(linted)
    assert any(p.startswith("tests/dbt/") for p in linted)
    problems = {
        f["filepath"]: [
            f"L{v['start_line_no']} {v['code']}: {v['description']}" for v in f["violations"]
        ]
        for f in files
        if f["violations"]
    }
    assert problems == {}, problems
