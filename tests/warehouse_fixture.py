"""One built warehouse for the browser tests, made once per test session.

:func:`built_warehouse` generates the sample source (scale 1, seed 42: what
``data/sample/`` holds), runs ``python -m loader bootstrap`` and ``dbt build`` into a
temporary folder, and returns where everything is. The first caller builds it; later
callers (in any test module) get the same one. Each module wraps it in its own
session fixture, so this file needs no conftest.py.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from loader.cli import main
from loader.generate import generate_source

REPO = Path(__file__).resolve().parents[1]
DBT = str(REPO / ".venv" / "bin" / "dbt")


@dataclass(frozen=True)
class Warehouse:
    """A DuckDB warehouse built by the loader and ``dbt build``, and dbt's folders."""

    work: Path
    source: Path
    db: Path

    @property
    def target(self) -> Path:
        return self.work / "target"

    def env(self) -> dict[str, str]:
        """The environment dbt runs in: this warehouse, the repository's profiles.yml."""
        env = {**os.environ, "C360_DUCKDB_PATH": str(self.db), "DBT_PROFILES_DIR": str(REPO)}
        env.pop("DBT_TARGET", None)
        env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
        return env

    def dbt_args(self, *args: str, target: Path | None = None) -> list[str]:
        """A dbt command line with this warehouse's target and log folders (or another
        folder for both, so that the shared target's artifacts stay as they are)."""
        return [
            DBT,
            *args,
            "--target-path",
            str(target or self.target),
            "--log-path",
            str(target or self.work / "logs"),
        ]

    def dbt(self, *args: str, target: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run dbt from the repository root and wait for it."""
        return subprocess.run(
            self.dbt_args(*args, target=target),
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
        )


_BUILT: dict[str, Warehouse] = {}


def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The session's warehouse, built on first use (about 10 s)."""
    if "warehouse" not in _BUILT:
        work = tmp_path_factory.mktemp("warehouse")
        source = work / "source"
        generate_source(source, scale=1, seed=42)
        db = work / "customer360.duckdb"
        rc = main(
            [
                "bootstrap",
                "--source",
                str(source),
                "--lake",
                str(work / "lake"),
                "--duckdb",
                str(db),
                "--quiet",
            ]
        )
        assert rc == 0, "python -m loader bootstrap failed"
        wh = Warehouse(work=work, source=source, db=db)
        p = wh.dbt("build")
        assert p.returncode == 0, f"dbt build failed:\n{p.stdout[-4000:]}{p.stderr[-2000:]}"
        _BUILT["warehouse"] = wh
    return _BUILT["warehouse"]
