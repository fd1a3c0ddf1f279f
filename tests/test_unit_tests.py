"""The dbt unit tests: left out of every production build (selectors.yml), run here.

`dbt build` without a selection uses the default selector `production`, which leaves
the unit tests out: their fixtures are static, so a build over new data cannot change
their result. CI runs them with `dbt test --select test_type:unit`, which is what this
module does, on the session's warehouse.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.warehouse_fixture import Warehouse, built_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return built_warehouse(tmp_path_factory)


def unit_tests_in_manifest(target: Path) -> set[str]:
    manifest = json.loads((target / "manifest.json").read_text())
    return set(manifest["unit_tests"])


def test_a_default_build_leaves_out_the_unit_tests_and_nothing_else(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    every = ["ls", "--output", "json", "--output-keys", "unique_id", "--quiet"]
    default = warehouse.dbt(*every, target=tmp_path)
    everything = warehouse.dbt(*every, "--selector", "everything", target=tmp_path)
    for p in (default, everything):
        assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    ids = [
        {json.loads(line)["unique_id"] for line in p.stdout.splitlines() if line.startswith("{")}
        for p in (default, everything)
    ]
    unit = unit_tests_in_manifest(tmp_path)
    assert len(unit) == 12
    assert not ids[0] & unit
    assert ids[1] == ids[0] | unit
    assert any(i.startswith("test.") for i in ids[0])  # the data tests stay in


def test_the_unit_tests_pass_when_selected(warehouse: Warehouse, tmp_path: Path) -> None:
    p = warehouse.dbt("test", "--select", "test_type:unit", target=tmp_path)
    assert p.returncode == 0, p.stdout[-4000:]
    results = json.loads((tmp_path / "run_results.json").read_text())["results"]
    assert {r["unique_id"] for r in results} == unit_tests_in_manifest(tmp_path)
    assert {r["status"] for r in results} == {"pass"}
