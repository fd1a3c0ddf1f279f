"""A smoke run of the benchmark (``make bench``, bench/run.py) at a tiny scale: every phase
is measured, the floor is there, and both reports are written. The real runs are
benchmarks, not tests: bench/README.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import run
from bench.least import GOLD

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, Path]:
    tmp = tmp_path_factory.mktemp("bench")
    results = tmp / "results"
    rc = run.main(
        [
            "--scales",
            "100",
            "--work",
            str(tmp / "work"),
            "--results",
            str(results),
            "--no-parse-warmup",
        ]
    )
    assert rc == 0, (results / "latest.md").read_text()
    return (
        json.loads((results / "latest.json").read_text()),
        (results / "latest.md").read_text(),
        tmp,
    )


def test_every_phase_is_measured(smoke: tuple[dict, str, Path]) -> None:
    result, _, _ = smoke
    (scale,) = result["scales"]
    assert scale["name"] == "100" and scale["scale"] == 0.5
    expected = {k for k, _, _ in run.PHASES} - {"dbt_parse"}
    assert expected <= set(scale["phases"])
    for key in expected:
        phase = scale["phases"][key]
        assert phase["ok"], key
        assert phase["seconds"] > 0, key
        assert phase["peak_rss_mb"] > 0, key
        if key == "dbt_build_noop":  # no new load: nothing to process
            assert phase["rows"] == 0 and phase["rows_per_s"] is None
        else:
            assert phase["rows"] > 0 and phase["rows_per_s"] > 0, key


def test_rows_floor_and_ratios(smoke: tuple[dict, str, Path]) -> None:
    result, _, _ = smoke
    (scale,) = result["scales"]
    assert scale["rows"]["online_transactions"] >= 100
    assert scale["rows"]["total"] > scale["rows"]["online_transactions"]
    assert set(scale["rows"]["tables"]) == {e.table for e in run.EXTRACTS}
    floor = scale["phases"]["floor"]
    assert len(floor["files"]) == 9 and floor["rows_read"] > 0 and floor["seconds"] > 0
    written = scale["phases"]["floor_file"]  # the same reads, into a DuckDB file
    assert set(written["files"]) == set(floor["files"]) | {"checkpoint"}
    assert written["rows_read"] == floor["rows_read"]
    assert scale["pipeline_over_floor_file"] == pytest.approx(
        scale["pipeline_seconds"] / written["seconds"], abs=0.01
    )
    for key in ("least", "least_checked"):  # the least work, typed and checked
        least = scale["phases"][key]
        assert set(least["statements"]) == {e.table for e in run.EXTRACTS} | {
            f"gold.{g}" for g in GOLD
        } | {"checkpoint"}
        assert least["statements"]["gold.customer_360"]["rows"] > 0
        assert scale[f"{key}_over_floor"] == pytest.approx(
            least["seconds"] / floor["seconds"], abs=0.01
        )
    assert scale["pipeline_seconds"] == pytest.approx(
        scale["phases"]["bootstrap"]["seconds"] + scale["phases"]["dbt_build"]["seconds"], abs=0.01
    )
    assert scale["pipeline_over_floor"] > 1
    assert scale["pipeline_over_least_checked"] == pytest.approx(
        scale["pipeline_seconds"] / scale["phases"]["least_checked"]["seconds"], abs=0.01
    )
    assert scale["incremental_over_full"] > 0
    assert scale["noop_over_full"] == pytest.approx(
        scale["phases"]["dbt_build_noop"]["seconds"] / scale["phases"]["dbt_build"]["seconds"],
        abs=0.001,
    )
    noop = scale["dbt_build_noop_nodes"]
    assert noop["statuses"].get("error", 0) == 0 and noop["by_type"]["model"]["count"] > 0
    assert scale["pipeline_peak_rss_mb"] > 0
    assert 0 < scale["delta_rows"]["total"] < scale["rows"]["total"]
    assert set(scale["delta_keys"]) == set(scale["rows"]["tables"])
    assert scale["dbt_build_nodes"]["by_type"]["model"]["count"] > 0
    for key in ("machine", "versions", "git"):
        assert result[key]
    assert result["versions"]["dbt-core"] != "not installed"


def test_markdown_table_rows(smoke: tuple[dict, str, Path]) -> None:
    _, md, tmp = smoke
    assert "| scale | records (online) | floor s |" in md
    assert "| no-op build s | no-op / full |" in md
    assert "| scale | floor s | 6 × floor s | least work s (× floor) |" in md
    assert sum(line.startswith("| 100 | ") for line in md.splitlines()) >= 2
    for _, label, _ in run.PHASES:
        if label.startswith("dbt parse"):
            continue
        assert f"| 100 | {label} |" in md, label
    assert not (tmp / "work" / "100").exists()  # the scale's files are deleted when done


def test_targets_are_issue_16s() -> None:
    """Each target of issue 16 judged on figures of one run: ratios to the checked least
    work, the no-op's seconds, the incremental build against the no-op plus 5% of the full
    build, peak memory, the 100k build; a failed scale meets nothing."""

    def scale(name, least_checked, pipeline, full, incremental, noop, peak, ok=True):
        phases = {
            "least_checked": {"seconds": least_checked},
            "dbt_build": {"seconds": full},
            "dbt_build_incremental": {"seconds": incremental},
            "dbt_build_noop": {"seconds": noop},
        }
        return {
            "name": name,
            "phases": phases,
            "ok": ok,
            "pipeline_over_least_checked": round(pipeline / least_checked, 2),
            "pipeline_peak_rss_mb": peak,
        }

    targets = run.evaluate_targets(
        [
            scale("100k", 1.0, 8.0, 7.9, 7.0, 6.0, 500),
            scale("1m", 7.0, 17.6, 15.0, 9.0, 8.0, 1200),
            scale("10m", 90.0, 140.0, 120.0, 15.0, 9.5, 2900),
        ]
    )
    got = {(t["target"], t["scale"]): (t["value"], t["limit"], t["met"]) for t in targets}
    assert got == {
        ("dbt_build_seconds", "100k"): (7.9, 8, True),
        ("pipeline_over_least_checked", "1m"): (2.51, 2.5, False),
        ("pipeline_over_least_checked", "10m"): (1.56, 1.5, False),
        ("noop_seconds", "10m"): (9.5, 10, True),
        ("incremental_seconds", "10m"): (15.0, 15.5, True),
        ("peak_memory", "10m"): (2900, 3072, True),
    }
    failed = run.evaluate_targets([scale("10m", 90.0, 100.0, 80.0, 5.0, 4.0, 100, ok=False)])
    assert not any(t["met"] for t in failed)
