"""The benchmark: ``python -m bench.run [--scales 100k,1m,10m] [--work DIR] [--keep]``.

For each scale (online transactions; the other files in proportion, as the generator
makes them) it generates a source folder, measures the floor (DuckDB reading every file
once, typed, into memory: :mod:`bench.floor`) and the same reads written into a DuckDB
file, runs ``python -m loader bootstrap`` and ``dbt build``, then lands a delta of about
1% (the generator at a hundredth of the scale with another seed: its keys overlap the
first load's) and runs ``dbt build`` again, and once more with no new load (the no-op).

Every phase runs as a child process; its peak memory is the largest sum of the resident
set sizes of the child and all its descendants, sampled every 0.1 s. The results go to
``bench/results/latest.json`` and ``latest.md`` (earlier results are in git history), and
the Markdown table is printed at the end. ``bench/README.md`` says what is measured and why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import psutil

from loader.contract import EXTRACTS

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DBT = str(BIN / "dbt")
ONLINE_AT_SCALE_1 = 200  # loader.generate.BASE_COUNTS["OnlineTransactions.csv"]
SEED = 42
DELTA_SEED = 4242
DELTA_FRACTION = 0.01
DEFAULT_SCALES = "100k,1m,10m"
SAMPLE_SECONDS = 0.1

#: The phases, in order: (key, label, counted in the pipeline).
PHASES: tuple[tuple[str, str, bool], ...] = (
    ("generate", "generate (not counted)", False),
    ("floor", "floor: typed read_csv into memory", False),
    ("floor_file", "floor written: typed read_csv into a DuckDB file (not counted)", False),
    ("least", "least work: silver and gold in plain DuckDB, typed reads (not counted)", False),
    (
        "least_checked",
        "least work, every field read as text and cast (not counted)",
        False,
    ),
    ("dbt_parse", "dbt parse (warm-up, not counted)", False),
    ("bootstrap", "bootstrap", True),
    ("dbt_build", "dbt build", True),
    ("delta_generate", "delta: generate (not counted)", False),
    ("delta_bootstrap", "delta: bootstrap", False),
    ("dbt_build_incremental", "delta: dbt build (incremental)", False),
    ("dbt_build_noop", "no new load: dbt build again (no-op)", False),
)

#: Targets of issue 16: (key, what, scale it applies to, limit). Ratios are to the checked
#: least work measured in the same run, so that the machine's drift cancels; the
#: incremental build's limit is the no-op's seconds plus this share of the full build's.
TARGETS = (
    ("pipeline_over_least_checked", "pipeline at most 1.5x the checked least work", "10m", 1.5),
    ("pipeline_over_least_checked", "pipeline at most 2.5x the checked least work", "1m", 2.5),
    ("noop_seconds", "dbt build with nothing new (no-op) at most 10 s", "10m", 10),
    (
        "incremental_seconds",
        "incremental build at most the no-op + 5% of the full build",
        "10m",
        0.05,
    ),
    ("peak_memory", "peak memory of the process tree under 3 GB", "10m", 3 * 1024),
    ("dbt_build_seconds", "dbt build under 8 s", "100k", 8),
)


# --- measuring a child process -----------------------------------------------------------


def tree_rss(proc: psutil.Process) -> int:
    """Resident set size of a process and all its descendants, in bytes."""
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_measured(
    cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path = REPO
) -> dict[str, Any]:
    """Run ``cmd``, its output to ``log``; return seconds, peak memory and exit status, and
    the CPU seconds the rest of the machine used meanwhile (``other_cpu_seconds``: the
    machine's busy time minus the process tree's; more than a few seconds means another
    workload competed with the phase)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    busy0, tree0 = busy_cpu_seconds(), children_cpu_seconds()
    with open(log, "w") as out:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
        proc = psutil.Process(child.pid)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss(proc))
                stop.wait(SAMPLE_SECONDS)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = child.wait()
        seconds = time.perf_counter() - t0
        stop.set()
        sampler.join()
    other = (busy_cpu_seconds() - busy0) - (children_cpu_seconds() - tree0)
    return {
        "seconds": seconds,
        "peak_rss_bytes": peak,
        "returncode": rc,
        "log": str(log),
        "other_cpu_seconds": max(other, 0.0),
    }


def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def children_cpu_seconds() -> float:
    """CPU seconds of this process's finished children and their waited-for descendants."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# --- the scales --------------------------------------------------------------------------


def parse_scale(text: str) -> tuple[str, float]:
    """``100k`` / ``1m`` / ``10m`` / ``200`` online transactions -> (name, generator scale)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise SystemExit(
            f"--scales: {text!r} is not a number of online transactions such as 100k, 1m or 200"
        )
    n = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[m.group(2).lower()]
    if n <= 0:
        raise SystemExit(f"--scales: {text!r} must be more than 0")
    return text.strip().lower(), n / ONLINE_AT_SCALE_1


# --- what a run needs --------------------------------------------------------------------


def git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def tree_digest(*folders: str) -> str:
    """A short digest of every file under the folders (paths and bytes): equal digests,
    same models."""
    h = hashlib.sha256()
    for folder in folders:
        for f in sorted((REPO / folder).rglob("*")):
            if f.is_file():
                h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def git_state() -> dict[str, Any]:
    """The commit, and what differs from it in what the pipeline runs."""
    changed = git("status", "--short", "models", "macros")
    pipeline = git("status", "--short", "loader", "profiles.yml", "dbt_project.yml", "seeds")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_in_models_macros": len(changed.splitlines()) if changed != "unknown" else None,
        "models_macros_digest": tree_digest("models", "macros"),
        "uncommitted_loader_profiles_project": [line[3:] for line in pipeline.splitlines()]
        if pipeline != "unknown"
        else None,
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "duckdb": duckdb.__version__}
    for pkg in ("dbt-core", "dbt-duckdb", "psutil"):
        try:
            out[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            out[pkg] = "not installed"
    return out


def dbt_env(db: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "C360_DUCKDB_PATH": str(db),
        "DBT_PROFILES_DIR": str(REPO),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env.pop("DBT_TARGET", None)
    return env


def dbt_cmd(command: str, work: Path) -> list[str]:
    return [DBT, command, "--target-path", str(work / "target"), "--log-path", str(work / "logs")]


def loads(db: Path) -> list[dict[str, Any]]:
    """raw._loads per load: records (malformed included) per table, oldest first."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "select load_id, table_name, sum(records), sum(malformed) from raw._loads "
            "group by all order by load_id"
        ).fetchall()
    finally:
        con.close()
    by_load: dict[str, dict[str, Any]] = {}
    for load_id, table, records, malformed in rows:
        d = by_load.setdefault(load_id, {"load_id": load_id, "tables": {}})
        d["tables"][table] = {"records": int(records), "malformed": int(malformed)}
    out = list(by_load.values())
    for d in out:
        d["total"] = sum(t["records"] for t in d["tables"].values())
        d["online_transactions"] = d["tables"].get("online_transactions", {}).get("records", 0)
    return out


def delta_keys(db: Path, load_id: str) -> dict[str, dict[str, int]]:
    """Per table: distinct keys in the delta, and how many no earlier load has."""
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    try:
        for e in EXTRACTS:
            key = "concat_ws('|', " + ", ".join(f"trim({c})" for c in e.primary_key) + ")"
            present = " and ".join(f"nullif(trim({c}), '') is not null" for c in e.primary_key)
            n, new = con.execute(
                f"with k as (select {key} as k, _load_id = ? as delta from raw.{e.table} "
                f"where {present}), "
                "d as (select distinct k from k where delta), "
                "o as (select distinct k from k where not delta) "
                "select (select count(*) from d), (select count(*) from d anti join o using (k))",
                [load_id],
            ).fetchone()
            out[e.table] = {"keys": int(n), "new_keys": int(new)}
    finally:
        con.close()
    return out


def dbt_nodes(target: Path, top: int = 12) -> dict[str, Any]:
    """Node timings of the last dbt invocation (run_results.json)."""
    path = target / "run_results.json"
    if not path.exists():
        return {}
    rr = json.loads(path.read_text())
    nodes = []
    for r in rr.get("results", []):
        uid = r["unique_id"]
        nodes.append(
            {
                "node": uid,
                "type": uid.split(".", 1)[0],
                "status": r.get("status"),
                "seconds": round(r.get("execution_time") or 0.0, 3),
            }
        )
    by_type: dict[str, dict[str, float]] = {}
    for n in nodes:
        t = by_type.setdefault(n["type"], {"count": 0, "seconds": 0.0})
        t["count"] += 1
        t["seconds"] = round(t["seconds"] + n["seconds"], 3)
    statuses: dict[str, int] = {}
    for n in nodes:
        statuses[str(n["status"])] = statuses.get(str(n["status"]), 0) + 1
    return {
        "elapsed_time": round(rr.get("elapsed_time") or 0.0, 3),
        "by_type": by_type,
        "statuses": statuses,
        "top": sorted(nodes, key=lambda n: -n["seconds"])[:top],
        "all": nodes,
    }


# --- one scale ---------------------------------------------------------------------------


def phase_result(m: dict[str, Any], rows: int | None) -> dict[str, Any]:
    out = {
        "seconds": round(m["seconds"], 3),
        "peak_rss_mb": round(m["peak_rss_bytes"] / 2**20),
        "ok": m["returncode"] == 0,
        "returncode": m["returncode"],
        "log": m["log"],
        "other_cpu_seconds": round(m["other_cpu_seconds"], 1),
    }
    if rows is not None:
        out["rows"] = rows
        out["rows_per_s"] = round(rows / m["seconds"]) if rows and m["seconds"] > 0 else None
    return out


def keep_run_results(work: Path, phase: str) -> None:
    """Copy dbt's run_results.json beside the phase's log."""
    src = work / "target" / "run_results.json"
    if src.exists():
        shutil.copy(src, work / "bench-logs" / f"{phase}.run_results.json")


def failures(nodes: dict[str, Any]) -> list[str]:
    """The nodes of a dbt invocation that errored or failed."""
    return [n["node"] for n in nodes.get("all", []) if n["status"] in ("error", "fail")]


def load_seconds(log: Path) -> float | None:
    """The seconds bootstrap's load into raw took (the rest is validating and landing)."""
    m = re.search(r"loaded [\d,]+ new records in ([\d.]+)s", log.read_text(errors="replace"))
    return float(m.group(1)) if m else None


def run_scale(
    name: str, scale: float, work: Path, say, parse_warmup: bool = True
) -> dict[str, Any]:
    py = sys.executable
    src, delta_src = work / "source", work / "delta"
    lake, db, logs = work / "lake", work / "warehouse.duckdb", work / "bench-logs"
    env = dbt_env(db)
    res: dict[str, Any] = {
        "name": name,
        "scale": scale,
        "seed": SEED,
        "delta_scale": scale * DELTA_FRACTION,
        "delta_seed": DELTA_SEED,
        "git_before": git_state(),
        "phases": {},
    }
    ph = res["phases"]

    def step(key: str, cmd: list[str], rows: int | None = None, e: dict | None = None):
        say(f"[{name}] {key} ...")
        m = run_measured(cmd, logs / f"{key}.log", env=e or env)
        ph[key] = phase_result(m, rows)
        if not ph[key]["ok"]:
            tail = Path(m["log"]).read_text(errors="replace")[-2000:]
            say(f"[{name}] {key} FAILED (exit {m['returncode']}), log {m['log']}:\n{tail}")
        else:
            say(f"[{name}] {key}: {m['seconds']:.1f} s, peak {m['peak_rss_bytes'] / 2**20:,.0f} MB")
        return ph[key]["ok"]

    gen = [py, "-m", "loader", "generate", "--quiet"]
    step("generate", [*gen, "--out", str(src), "--scale", repr(scale), "--seed", str(SEED)])
    res["source_bytes"] = sum(f.stat().st_size for f in src.glob("*.csv"))
    # The generator's files reach the disk before anything is timed: otherwise the kernel
    # writes them back during the floor (13.9 s against 10.0 s after a sync, at 10M).
    os.sync()

    # The yardsticks: the floor, the same reads written into a DuckDB file (what keeping
    # the records costs at the least), and the least work any pipeline meeting the contract
    # does (bench/least.py), typed and checked: the statements' seconds, not the process's.
    least_db = ["--into", str(work / "least.duckdb")]
    for key, module, extra in (
        ("floor", "bench.floor", []),
        ("floor_file", "bench.floor", ["--into", str(work / "floor.duckdb")]),
        ("least", "bench.least", least_db),
        ("least_checked", "bench.least", [*least_db, "--checked"]),
    ):
        say(f"[{name}] {key} ...")
        m = run_measured([py, "-m", module, str(src), *extra], logs / f"{key}.log")
        statements = {}
        if m["returncode"] == 0:
            statements = json.loads(Path(m["log"]).read_text().strip().splitlines()[-1])
        ph[key] = phase_result(m, None)
        ph[key]["process_seconds"] = ph[key]["seconds"]
        ph[key]["seconds"] = round(sum(f["seconds"] for f in statements.values()), 3)
        if module == "bench.floor":
            ph[key]["files"] = statements
            ph[key]["rows_read"] = sum(int(f["rows"]) for f in statements.values())
        else:
            ph[key]["statements"] = statements
        say(f"[{name}] {key}: {ph[key]['seconds']:.1f} s")

    if parse_warmup:
        step("dbt_parse", dbt_cmd("parse", work))
    boot = [py, "-m", "loader", "bootstrap", "--lake", str(lake), "--duckdb", str(db)]
    step("bootstrap", [*boot, "--source", str(src)])
    ph["bootstrap"]["load_seconds"] = load_seconds(Path(ph["bootstrap"]["log"]))
    first = loads(db)[0] if ph["bootstrap"]["ok"] else {"total": 0, "online_transactions": 0}
    res["rows"] = first
    total = first["total"]
    for key in ("generate", "floor", "floor_file", "least", "least_checked", "bootstrap"):
        ph[key]["rows"] = total
        ph[key]["rows_per_s"] = round(total / ph[key]["seconds"]) if ph[key]["seconds"] else None
    step("dbt_build", dbt_cmd("build", work), rows=total)
    res["dbt_build_nodes"] = dbt_nodes(work / "target")
    keep_run_results(work, "dbt_build")
    res["warehouse_bytes"] = db.stat().st_size if db.exists() else None

    step(
        "delta_generate",
        [
            *gen,
            "--out",
            str(delta_src),
            "--scale",
            repr(scale * DELTA_FRACTION),
            "--seed",
            str(DELTA_SEED),
        ],
    )
    os.sync()
    step("delta_bootstrap", [*boot, "--source", str(delta_src)])
    ph["delta_bootstrap"]["load_seconds"] = load_seconds(Path(ph["delta_bootstrap"]["log"]))
    all_loads = loads(db) if ph["delta_bootstrap"]["ok"] else []
    delta = all_loads[-1] if len(all_loads) > 1 else {"total": 0, "online_transactions": 0}
    res["delta_rows"] = delta
    for key in ("delta_generate", "delta_bootstrap"):
        s = ph[key]["seconds"]
        ph[key]["rows"] = delta["total"]
        ph[key]["rows_per_s"] = round(delta["total"] / s) if s else None
    step("dbt_build_incremental", dbt_cmd("build", work), rows=delta["total"])
    res["dbt_build_incremental_nodes"] = dbt_nodes(work / "target")
    keep_run_results(work, "dbt_build_incremental")
    if delta.get("load_id"):
        res["delta_keys"] = delta_keys(db, delta["load_id"])
    # What every build costs whatever it loads: dbt itself, the views, the tests, and the
    # incremental models finding nothing new. It bounds the incremental ratio from below.
    step("dbt_build_noop", dbt_cmd("build", work), rows=0)
    res["dbt_build_noop_nodes"] = dbt_nodes(work / "target")
    keep_run_results(work, "dbt_build_noop")

    p = ph
    res["pipeline_seconds"] = round(p["bootstrap"]["seconds"] + p["dbt_build"]["seconds"], 3)
    res["pipeline_rows_per_s"] = round(total / res["pipeline_seconds"])
    res["pipeline_over_floor"], res["pipeline_over_floor_file"] = (
        round(res["pipeline_seconds"] / p[k]["seconds"], 2) if p[k]["seconds"] else None
        for k in ("floor", "floor_file")
    )
    # No pipeline can be faster than the least work: how many floors that alone takes.
    res["least_over_floor"], res["least_checked_over_floor"] = (
        round(p[k]["seconds"] / p["floor"]["seconds"], 2) if p["floor"]["seconds"] else None
        for k in ("least", "least_checked")
    )
    res["pipeline_over_least_checked"] = (
        round(res["pipeline_seconds"] / p["least_checked"]["seconds"], 2)
        if p["least_checked"]["seconds"]
        else None
    )
    res["pipeline_peak_rss_mb"] = max(
        p[k]["peak_rss_mb"]
        for k in ("bootstrap", "dbt_build", "delta_bootstrap", "dbt_build_incremental")
    )
    res["incremental_over_full"] = round(
        p["dbt_build_incremental"]["seconds"] / p["dbt_build"]["seconds"], 3
    )
    res["noop_over_full"] = round(p["dbt_build_noop"]["seconds"] / p["dbt_build"]["seconds"], 3)
    res["ok"] = all(v["ok"] for v in ph.values())
    res["git_after"] = git_state()
    return res


# --- the report --------------------------------------------------------------------------


def evaluate_targets(scales: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_name = {s["name"]: s for s in scales}
    out = []
    for key, what, at, limit in TARGETS:
        s = by_name.get(at)
        if s is None:
            continue
        p = s["phases"]
        if key == "pipeline_over_least_checked":
            value = s["pipeline_over_least_checked"]
            met = value is not None and value <= limit
        elif key == "noop_seconds":
            value = p["dbt_build_noop"]["seconds"]
            met = value <= limit
        elif key == "incremental_seconds":
            value = p["dbt_build_incremental"]["seconds"]
            limit = round(p["dbt_build_noop"]["seconds"] + limit * p["dbt_build"]["seconds"], 3)
            met = value <= limit
        elif key == "peak_memory":
            value = s["pipeline_peak_rss_mb"]
            met = value < limit
        else:
            value = p["dbt_build"]["seconds"]
            met = value < limit
        out.append(
            {
                "target": key,
                "what": what,
                "scale": at,
                "value": value,
                "limit": limit,
                "met": bool(met and s["ok"]),
            }
        )
    return out


def _n(x: float | int | None, digits: int = 1) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, int) or digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def to_markdown(result: dict[str, Any]) -> str:
    m, v, g = result["machine"], result["versions"], result["git"]
    lines = [
        f"# Benchmark results, {result['date']}",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM ({m['os']}). "
        f"Python {v['python']}, DuckDB {v['duckdb']}, dbt-core {v['dbt-core']}, "
        f"dbt-duckdb {v['dbt-duckdb']}. Commit {g['commit']} with "
        f"{g['uncommitted_in_models_macros']} uncommitted change(s) in models/ and macros/ "
        f"(digest {g['models_macros_digest']}) at the start"
        + (
            "; uncommitted too: " + ", ".join(g["uncommitted_loader_profiles_project"])
            if g.get("uncommitted_loader_profiles_project")
            else ""
        )
        + ".",
        "",
        "## Summary",
        "",
        "| scale | records (online) | floor s | bootstrap s | dbt build s | pipeline s "
        "| × floor | least checked s | × least checked | floor written s | × floor written "
        "| peak MB | delta records "
        "| incremental build s | incr / full | no-op build s | no-op / full |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result["scales"]:
        p = s["phases"]
        lines.append(
            f"| {s['name'] + ('' if s['ok'] else ' **(a phase failed)**')} "
            f"| {_n(s['rows']['total'])} ({_n(s['rows']['online_transactions'])})"
            f" | {_n(p['floor']['seconds'])} | {_n(p['bootstrap']['seconds'])}"
            f" | {_n(p['dbt_build']['seconds'])} | {_n(s['pipeline_seconds'])}"
            f" | {_n(s['pipeline_over_floor'])} | {_n(p['least_checked']['seconds'])}"
            f" | {_n(s['pipeline_over_least_checked'], 2)} | {_n(p['floor_file']['seconds'])}"
            f" | {_n(s['pipeline_over_floor_file'])} | {_n(s['pipeline_peak_rss_mb'])}"
            f" | {_n(s['delta_rows']['total'])} | {_n(p['dbt_build_incremental']['seconds'])}"
            f" | {s['incremental_over_full']:.0%} | {_n(p['dbt_build_noop']['seconds'])}"
            f" | {s['noop_over_full']:.0%} |"
        )
    lines += [
        "",
        "## Phases",
        "",
        "| scale | phase | seconds | rows | rows/s | peak MB (process tree) | other CPU s | ok |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in result["scales"]:
        for key, label, _ in PHASES:
            p = s["phases"].get(key)
            if p is None:
                continue
            lines.append(
                f"| {s['name']} | {label} | {_n(p['seconds'], 2)} | {_n(p.get('rows'))}"
                f" | {_n(p.get('rows_per_s'))} | {_n(p['peak_rss_mb'])}"
                f" | {_n(p.get('other_cpu_seconds'))} | {'yes' if p['ok'] else 'FAILED'} |"
            )
    lines += [
        "",
        "## The least work",
        "",
        "What any pipeline meeting the contract does at the least (bench/least.py: silver "
        "and gold in plain DuckDB, with no lake, raw layer, audit, lineage, tests or dbt), "
        "against six times the floor:",
        "",
        "| scale | floor s | 6 × floor s | least work s (× floor) "
        "| least work checked s (× floor) | pipeline s (× floor) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for s in result["scales"]:
        p = s["phases"]
        lines.append(
            f"| {s['name']} | {_n(p['floor']['seconds'])} | {_n(6 * p['floor']['seconds'])}"
            f" | {_n(p['least']['seconds'])} ({_n(s['least_over_floor'])})"
            f" | {_n(p['least_checked']['seconds'])} ({_n(s['least_checked_over_floor'])})"
            f" | {_n(s['pipeline_seconds'])} ({_n(s['pipeline_over_floor'])}) |"
        )
    if result["targets"]:
        lines += [
            "",
            "## Targets",
            "",
            "| target | scale | measured | limit | met |",
            "|---|---|---:|---:|---|",
        ]
        for t in result["targets"]:
            lines.append(
                f"| {t['what']} | {t['scale']} | {_n(t['value'], 2)} "
                f"| {_n(t['limit'], 2)} | {'yes' if t['met'] else '**no**'} |"
            )
    for s in result["scales"]:
        for key in ("dbt_build_nodes", "dbt_build_incremental_nodes", "dbt_build_noop_nodes"):
            bad = failures(s.get(key, {}))
            if bad:
                lines += [
                    "",
                    f"**{s['name']}, {key.removesuffix('_nodes')}: "
                    f"{len(bad)} node(s) failed:** " + ", ".join(bad),
                ]
    big = result["scales"][-1] if result["scales"] else None
    if big and big.get("dbt_build_nodes"):
        nodes = big["dbt_build_nodes"]
        lines += [
            "",
            f"## Where dbt build spends its time at {big['name']}",
            "",
            f"dbt's own elapsed time {_n(nodes['elapsed_time'])} s; "
            + "; ".join(
                f"{k}: {t['count']} nodes, {_n(t['seconds'])} s"
                for k, t in sorted(nodes["by_type"].items())
            )
            + ".",
            "",
            "| node | full build s | incremental build s | no-op build s |",
            "|---|---:|---:|---:|",
        ]
        inc, noop = (
            {n["node"]: n["seconds"] for n in big.get(key, {}).get("all", [])}
            for key in ("dbt_build_incremental_nodes", "dbt_build_noop_nodes")
        )
        for n in nodes["top"]:
            lines.append(
                f"| {n['node']} | {_n(n['seconds'], 2)} | {_n(inc.get(n['node']), 2)}"
                f" | {_n(noop.get(n['node']), 2)} |"
            )
    if big and big.get("delta_keys"):
        lines += [
            "",
            f"## The delta at {big['name']}: keys it carries",
            "",
            "| table | distinct keys | not in the first load |",
            "|---|---:|---:|",
        ]
        for t, d in big["delta_keys"].items():
            lines.append(f"| {t} | {_n(d['keys'])} | {_n(d['new_keys'])} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the Customer 360 pipeline (bootstrap + dbt build) at several "
        "scales against the floor of DuckDB reading the files; see "
        "bench/README.md.",
    )
    ap.add_argument(
        "--scales",
        default=DEFAULT_SCALES,
        help="comma-separated numbers of online transactions, e.g. 100k,1m,10m "
        f"(default: {DEFAULT_SCALES})",
    )
    ap.add_argument(
        "--work",
        type=Path,
        default=REPO / "bench" / "work",
        help="scratch folder for sources, lakes and warehouses (default: bench/work, git-ignored)",
    )
    ap.add_argument(
        "--results",
        type=Path,
        default=REPO / "bench" / "results",
        help="where latest.json and latest.md go (default: bench/results)",
    )
    ap.add_argument(
        "--no-parse-warmup",
        dest="parse_warmup",
        action="store_false",
        help="skip the untimed `dbt parse` before each scale (then the first "
        "dbt build parses the project from scratch: slower)",
    )
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep each scale's source, lake and warehouse (default: deleted "
        "when the scale is done)",
    )
    args = ap.parse_args(argv)
    scales = [parse_scale(s) for s in args.scales.split(",") if s.strip()]

    def say(text: str) -> None:
        print(text, flush=True)

    started = datetime.now(UTC)
    result: dict[str, Any] = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "versions": versions(),
        "git": git_state(),
        "scales": [],
    }
    for name, scale in scales:
        work = args.work / name
        if work.exists():
            shutil.rmtree(work)
        try:
            result["scales"].append(run_scale(name, scale, work, say, args.parse_warmup))
        finally:
            if (work / "bench-logs").exists():  # small: kept for reading after the run
                kept = args.work / "logs" / name
                shutil.rmtree(kept, ignore_errors=True)
                shutil.copytree(work / "bench-logs", kept)
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    result["targets"] = evaluate_targets(result["scales"])
    result["git_after"] = git_state()
    result["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)

    args.results.mkdir(parents=True, exist_ok=True)
    md = to_markdown(result)
    # Only the latest result is kept in the tree: earlier ones are in git history.
    (args.results / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.results / "latest.md").write_text(md)
    print()
    print(md)
    print(f"written: {args.results / 'latest.json'}, {args.results / 'latest.md'}")
    return 0 if all(s["ok"] for s in result["scales"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
