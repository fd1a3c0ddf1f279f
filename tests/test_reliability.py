"""Issue 15, the lake side: a bad delivery, a crash or a second run at the same time never
wedges the pipeline or loses a record.

Each test reproduces one case of the issue (numbered as there) and ends, where it
applies, with the next bootstrap of a good source succeeding without manual cleanup.
The kill tests kill a real ``python -m loader bootstrap`` with SIGKILL at a known point
(``C360_TEST_PAUSE_AT``, see :func:`loader.lake.pause_for_tests`); the concurrency test
runs two bootstraps at once, several times.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from loader.bootstrap import inspect_file, land_source, validate_source
from loader.cli import main
from loader.contract import EXTRACTS
from loader.errors import LoaderError
from loader.lake import LOCK, LocalLake, file_lock, new_load_id
from loader.warehouse import DuckDBWarehouse
from tests.sources import VALID_ROW, csv_line, write_source
from tests.test_loader import lake_files, query, raw_counts

REPO = Path(__file__).resolve().parents[1]


def make_source(folder: Path, variant: int = 0) -> dict[str, int]:
    """The nine files, table i with i + 1 + variant records (another variant is other
    bytes in every file); returns the records per table."""
    rows = {e.table: [VALID_ROW[e.table]] * (i + 1 + variant) for i, e in enumerate(EXTRACTS)}
    write_source(folder, rows)
    return {t: len(r) for t, r in rows.items()}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Path]:
    return {"lake": tmp_path / "lake", "db": tmp_path / "wh" / "c360.duckdb", "tmp": tmp_path}


def cli_args(env: dict[str, Path], command: str, *extra: str) -> list[str]:
    return [command, "--lake", str(env["lake"]), "--duckdb", str(env["db"]), *extra]


def bootstrap(env: dict[str, Path], source: Path) -> int:
    return main(cli_args(env, "bootstrap", "--source", str(source), "--quiet"))


def run_cli(where: dict[str, Path], *args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args, "--lake", str(where["lake"])]
        + ["--duckdb", str(where["db"])],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        **kw,
    )


def status(env: dict[str, Path]) -> str:
    p = run_cli(env, "status")
    assert p.returncode == 0, p.stderr
    return p.stdout


# --- cases 1 and 2: every byte is checked before anything lands ----------------------------


def online_rows(n: int) -> list[list[str]]:
    return [
        [str(i), "1", "1", "2025-01-20 22:34:31", "Credit Card", "9.99", "Completed"]
        for i in range(1, n + 1)
    ]


def test_a_bad_byte_after_8_kb_is_refused_before_landing_with_its_line_and_byte(env, capsys):
    """Case 1: the old check read the first 8 KB only; the file landed, its load failed
    with a byte offset relative to a chunk, and every later bootstrap failed on it."""
    src = env["tmp"] / "src"
    make_source(src)
    rows = online_rows(300)
    write_source(src, {"online_transactions": rows}, skip=[e.file for e in EXTRACTS[:4]])
    path = src / "OnlineTransactions.csv"
    data = path.read_bytes()
    at = data.index(b"\n246,") + 1 + len("246,1,1,2025-01-20 22:34:31,Cr")  # 'e' of Credit
    data = data[:at] + b"\xe9" + data[at + 1 :]
    path.write_bytes(data)
    assert at > 8192
    capsys.readouterr()
    assert bootstrap(env, src) == 2
    err = capsys.readouterr().err.strip()
    # Line 247: the header is line 1; the byte is the offset in the whole file.
    assert err == (
        f"error: OnlineTransactions.csv: not UTF-8 text at line 247 (byte {at:,}): save it as UTF-8"
    )
    assert lake_files(env["lake"]) == []
    assert not env["db"].exists()

    good = env["tmp"] / "good"
    counts = make_source(good)
    assert bootstrap(env, good) == 0
    assert raw_counts(env["db"]) == counts


@pytest.mark.parametrize("chunk", [16, 64, 8 * 1024 * 1024])
def test_inspect_file_reads_across_chunks(tmp_path, monkeypatch, chunk):
    """The check is exact whatever the chunking: a multibyte character cut by a chunk
    boundary is fine, a bad byte is reported at its absolute offset and line."""
    monkeypatch.setattr("loader.bootstrap.CHUNK", chunk)
    p = tmp_path / "f.csv"
    good = ("a,b\n" + "1,café ünïcödé €\n" * 40).encode()
    p.write_bytes(good)
    dig = inspect_file(p, "f.csv", max_line=32)
    assert dig.bytes == len(good)
    bad = good + b"2,\xff\n"
    p.write_bytes(bad)
    with pytest.raises(LoaderError) as e:
        inspect_file(p, "f.csv", max_line=32)
    assert str(e.value) == (
        f"f.csv: not UTF-8 text at line 42 (byte {len(good) + 2:,}): save it as UTF-8"
    )
    long_line = good + b"2," + b"x" * 31 + b"\n3,y\n"  # 33 bytes: one over max_line
    p.write_bytes(long_line)
    with pytest.raises(LoaderError) as e:
        inspect_file(p, "f.csv", max_line=32)
    assert str(e.value) == (
        f"f.csv: line 42 (byte {len(good):,}) is 33 bytes long, over the 32 bytes a record "
        "may take: not landed"
    )
    p.write_bytes(good + b"2," + b"x" * 30 + b"\r\n")  # 32 bytes and a CRLF: taken
    assert inspect_file(p, "f.csv", max_line=32).bytes == len(good) + 34


def test_a_record_over_2_mb_is_refused_before_landing(env, capsys):
    """Case 2: one 2.1 MB quoted address crashed the load with DuckDB's 'Maximum line
    size' traceback, after landing, and every later bootstrap the same way."""
    src = env["tmp"] / "src"
    make_source(src)
    big = ["2", "Big", "b@x.org", "x" * 2_100_000]
    write_source(src, {"customers": [VALID_ROW["customers"], big]}, skip=[EXTRACTS[1].file])
    capsys.readouterr()
    assert bootstrap(env, src) == 2
    err = capsys.readouterr().err.strip()
    header = len(csv_line(EXTRACTS[0].headers)) + 1
    first = len(csv_line(VALID_ROW["customers"])) + 1
    assert err == (
        f"error: Customers.csv: line 3 (byte {header + first:,}) is "
        f"{len(csv_line(big)):,} bytes long, over the 2,000,000 bytes a record may take: "
        "not landed"
    )
    assert lake_files(env["lake"]) == []
    good = env["tmp"] / "good"
    counts = make_source(good)
    assert bootstrap(env, good) == 0
    assert raw_counts(env["db"]) == counts


def test_a_record_over_2_mb_on_several_lines_loads_through_python(env):
    """A quoted field with line breaks makes a 2.4 MB record of short lines: it lands,
    DuckDB's reader cannot take it, and the Python path loads it whole (it used to
    crash there on DuckDB's 2,000,000-byte limit)."""
    src = env["tmp"] / "src"
    counts = make_source(src)
    address = "\n".join(["y" * 800_000] * 3)
    write_source(
        src,
        {"customers": [VALID_ROW["customers"], ["2", "Big", "b@x.org", address]]},
        skip=[e.file for e in EXTRACTS[1:]],
    )
    counts["customers"] = 2
    assert bootstrap(env, src) == 0
    assert raw_counts(env["db"]) == counts
    assert query(
        env["db"], "select customer_id, length(address) from raw.customers order by 1"
    ) == [
        ("1", len(VALID_ROW["customers"][3])),
        ("2", len(address)),
    ]
    assert query(env["db"], "select storage from raw._loads where table_name = 'customers'") == [
        ("table",)
    ]


# --- case 3: a kill at any point leaves nothing a later run misreads -----------------------


def kill_at(env: dict[str, Path], source: Path, point: str, environ=None) -> None:
    """Start a bootstrap, wait until it says it paused at ``point``, SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "loader", "bootstrap", "--source", str(source)]
        + ["--lake", str(env["lake"]), "--duckdb", str(env["db"]), "--quiet"],
        stderr=subprocess.PIPE,
        cwd=REPO,
        env={**(environ or os.environ), "C360_TEST_PAUSE_AT": point},
    )
    try:
        deadline = time.monotonic() + 60
        seen = b""
        while b"paused at " + point.encode() not in seen:
            assert time.monotonic() < deadline, seen
            assert proc.poll() is None, seen + proc.stderr.read()
            if select.select([proc.stderr], [], [], 0.5)[0]:
                seen += os.read(proc.stderr.fileno(), 4096)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_killed_while_copying_leaves_a_partial_file_that_the_next_run_removes(env):
    src = env["tmp"] / "src"
    counts = make_source(src)
    kill_at(env, src, "copying")
    customers = [f for f in lake_files(env["lake"]) if f.startswith("customers/")]
    assert len(customers) == 1 and customers[0].endswith("/Customers.csv.partial")
    out = status(env)
    assert "pending (0 landed files" in out
    assert "interrupted landings (1 leftovers" in out
    assert f"  {customers[0].rsplit('/', 1)[0]}/\n" in out

    p = run_cli(env, "bootstrap", "--source", str(src))
    assert p.returncode == 0, p.stderr
    load_dir = customers[0].rsplit("/", 1)[0]
    assert (
        f"removed what an interrupted landing left in the lake: customers/{load_dir.split('/')[1]}/"
        in p.stdout
    )
    assert raw_counts(env["db"]) == counts
    assert not [f for f in lake_files(env["lake"]) if f.endswith(".partial")]
    assert len(lake_files(env["lake"])) == 18
    out = status(env)
    assert "loads (9 files loaded)" in out and "pending (0" in out and "quarantined (0" in out
    assert "interrupted landings (0" in out and "no load is running" in out


def test_killed_right_after_a_manifest_appears_the_next_run_lands_the_rest(env):
    src = env["tmp"] / "src"
    counts = make_source(src)
    kill_at(env, src, "manifest")
    files = lake_files(env["lake"])
    assert [f.split("/")[0] for f in files] == ["customers", "customers"]
    assert files[1].endswith("/_manifest.json")
    out = status(env)
    assert "pending (1 landed files" in out and "customers/" in out.split("pending")[1]

    p = run_cli(env, "bootstrap", "--source", str(src))
    assert p.returncode == 0, p.stderr
    assert "Customers.csv" in p.stdout and "unchanged, already in the lake" in p.stdout
    assert raw_counts(env["db"]) == counts
    assert len(lake_files(env["lake"])) == 18
    # The customers file landed under the killed run's load id, the others under a later one.
    assert len({f.split("/")[1] for f in lake_files(env["lake"])}) == 2


def test_killed_mid_load_loads_nothing_twice(env):
    src = env["tmp"] / "src"
    counts = make_source(src)
    kill_at(env, src, "loading")  # the first file is in the open transaction
    assert len(lake_files(env["lake"])) == 18
    out = status(env)
    assert "loads (0 files loaded)" in out and "pending (9 landed files" in out

    p = run_cli(env, "bootstrap", "--source", str(src))
    assert p.returncode == 0, p.stderr
    assert raw_counts(env["db"]) == counts
    assert query(env["db"], "select count(*), count(distinct load_id) from raw._loads") == [(9, 1)]
    assert "loads (9 files loaded)" in status(env)


def test_an_empty_or_cut_manifest_is_an_interrupted_landing(env):
    """The old loader wrote manifests in place: a kill left a 0-byte _manifest.json,
    and every later bootstrap crashed with JSONDecodeError."""
    src = env["tmp"] / "src"
    counts = make_source(src)
    for i, e in enumerate(EXTRACTS[:2]):
        d = env["lake"] / e.table / "20250101T000000000000Z"
        d.mkdir(parents=True)
        (d / e.file).write_bytes((src / e.file).read_bytes())
        (d / "_manifest.json").write_bytes(b'{"file": "Cust' if i else b"")
    assert bootstrap(env, src) == 0
    assert raw_counts(env["db"]) == counts
    assert not (env["lake"] / "customers" / "20250101T000000000000Z").exists()
    assert len(lake_files(env["lake"])) == 18


# --- case 4: a landed file that cannot be loaded is quarantined ----------------------------


def test_a_deleted_landed_file_is_quarantined_and_later_loads_go_on(env, capsys):
    """Case 4: a landed file deleted from the lake made every bootstrap crash, even with
    nothing new (the raw views are recreated on each sync)."""
    a, b = env["tmp"] / "a", env["tmp"] / "b"
    ca, cb = make_source(a), make_source(b, 1)
    assert bootstrap(env, a) == 0
    landed = next((env["lake"] / "customers").iterdir()) / "Customers.csv"
    landed.unlink()
    capsys.readouterr()
    assert bootstrap(env, b) == 0
    err = capsys.readouterr().err
    lake_path = f"customers/{landed.parent.name}/Customers.csv"
    assert f"warning: {lake_path} quarantined: the file is gone from the lake" in err
    expected = {t: ca[t] + cb[t] for t in ca}
    expected["customers"] = cb["customers"]  # the deleted file's records left raw
    assert raw_counts(env["db"]) == expected
    out = status(env)
    assert "quarantined (1 files" in out
    assert f"{lake_path}  since " in out and "the file is gone from the lake" in out
    # and the next run, with nothing new, goes on too
    assert bootstrap(env, b) == 0
    assert raw_counts(env["db"]) == expected


def test_a_landed_file_that_cannot_be_loaded_is_quarantined_and_the_rest_load(env, capsys):
    """A landed file not loaded yet (a run killed before its load) that no longer reads
    (here: its header was overwritten): quarantined, and the other eight load."""
    src = env["tmp"] / "src"
    counts = make_source(src)
    lake = LocalLake(env["lake"])
    [products] = [
        x.landed for x in land_source(validate_source(src), lake) if x.landed.table == "products"
    ]
    path = env["lake"] / products.path
    path.write_bytes(b"x" * products.bytes)  # same size, other bytes
    quarantined = []
    DuckDBWarehouse(env["db"]).sync(
        lake, on_quarantine=lambda lf, r: quarantined.append((lf.path, r))
    )
    assert quarantined == [(products.path, "its bytes no longer match the sha256 of its manifest")]
    assert raw_counts(env["db"]) == {**counts, "products": 0}
    assert [q.landed.path for q in lake.quarantined("products")] == [products.path]
    assert lake.landed("products") == []
    # the same good source again: the latest products file is quarantined, so it lands anew
    assert bootstrap(env, src) == 0
    assert raw_counts(env["db"]) == counts


# --- case 5: two bootstraps at once ---------------------------------------------------------


def test_concurrent_bootstraps_serialize_and_account_for_every_record(tmp_path):
    """Case 5: two bootstraps at once collided on load ids, overwrote each other's lake
    files, or landed and loaded the same bytes twice. Three rounds of two processes
    started together on a fresh lake and warehouse, two different sources."""
    a, b = tmp_path / "a", tmp_path / "b"
    ca, cb = make_source(a), make_source(b, 1)
    waited = 0  # rounds where one run saw the other holding the lock
    for round_ in range(3):
        env = {"lake": tmp_path / f"lake{round_}", "db": tmp_path / f"wh{round_}" / "c.duckdb"}
        cmd = [sys.executable, "-m", "loader", "bootstrap", "--lake", str(env["lake"])]
        cmd += ["--duckdb", str(env["db"]), "--source"]
        procs = [
            subprocess.Popen(
                cmd + [str(s)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for s in (a, b)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        waited += any("another load is running on the lake" in err for _, err in outs)
        assert raw_counts(env["db"]) == {t: ca[t] + cb[t] for t in ca}
        loads = query(env["db"], "select table_name, load_id, records from raw._loads")
        assert len(loads) == 18 and len({lid for _, lid, _ in loads}) == 2
        for e in EXTRACTS:
            assert query(
                env["db"],
                f"select count(*), count(distinct (_load_id, _source_row)) from raw.{e.table}",
            ) == [(ca[e.table] + cb[e.table],) * 2]
            assert len(list((env["lake"] / e.table).iterdir())) == 2
    assert waited >= 1  # the two runs did overlap


def test_a_second_run_waits_for_the_lock_then_says_so(env, monkeypatch):
    src = env["tmp"] / "src"
    make_source(src)
    with file_lock(env["lake"] / LOCK, "the test", 1):
        assert "a load is running now" in status(env)
        p = run_cli(
            env, "bootstrap", "--source", str(src), env={**os.environ, "C360_LOCK_TIMEOUT": "0.5"}
        )
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert lines[0].startswith(
        f"warning: another load is running on the lake at {env['lake']} (pid {os.getpid()} since "
    )
    assert lines[-1].startswith(f"error: another load is running on the lake at {env['lake']}")
    assert lines[-1].endswith("gave up waiting after 0.5s (C360_LOCK_TIMEOUT)")
    assert lake_files(env["lake"]) == [] and not env["db"].exists()
    p = run_cli(env, "bootstrap", "--source", str(src))
    assert p.returncode == 0, p.stderr


def test_load_ids_are_unique_and_sortable_within_one_microsecond():
    from datetime import UTC, datetime

    now = datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=UTC)
    first = new_load_id(now)
    second = new_load_id(now, after=first)
    third = new_load_id(now, after=second)
    assert (first, second, third) == (
        "20260102T030405999999Z",
        "20260102T030406000000Z",
        "20260102T030406000001Z",
    )
    earlier = new_load_id(datetime(2025, 1, 1, tzinfo=UTC), after=third)  # clock went back
    assert earlier == "20260102T030406000002Z"
    assert sorted([third, earlier, first, second]) == [first, second, third, earlier]


# --- case 7: an earlier extract delivered again wins ----------------------------------------


def test_an_earlier_extract_delivered_again_is_a_new_load(env, capsys):
    """Case 7: sample, then a delta, then the sample again was 'unchanged, already in
    the lake': silver kept the delta's values. Now only the latest landed file counts."""
    a, b = env["tmp"] / "a", env["tmp"] / "b"
    ca, cb = make_source(a), make_source(b, 1)
    for s in (a, b, a):
        assert bootstrap(env, s) == 0
    assert bootstrap(env, a) == 0  # the latest again: a no-op
    for e in EXTRACTS:
        loads = query(
            env["db"],
            "select load_id, records from raw._loads "
            f"where table_name = '{e.table}' order by load_id",
        )
        assert [n for _, n in loads] == [ca[e.table], cb[e.table], ca[e.table]]
    assert raw_counts(env["db"]) == {t: 2 * ca[t] + cb[t] for t in ca}


# --- case 8: bronze is immutable --------------------------------------------------------------


def test_a_truncated_landed_file_stops_a_read_and_verify_names_it(env, capsys):
    """Case 8: raw read the lake in place with no check, so dbt build --full-refresh
    rebuilt silver from a truncated file. Now the raw view refuses to read it, naming
    it; verify names it; the next bootstrap quarantines it."""
    src = env["tmp"] / "src"
    counts = make_source(src)
    assert bootstrap(env, src) == 0
    d = next((env["lake"] / "online_transactions").iterdir())
    path = d / "OnlineTransactions.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    lake_path = f"online_transactions/{d.name}/OnlineTransactions.csv"
    with pytest.raises(duckdb.InvalidInputException) as e:
        query(env["db"], "select count(*) from raw.online_transactions")
    assert f"the lake file {lake_path} ({path}) changed after it was loaded" in str(e.value)
    assert query(env["db"], "select count(*) from raw.customers") == [(counts["customers"],)]

    p = run_cli(env, "verify")
    assert p.returncode == 1
    assert (
        f"changed: {lake_path}: the file is {len(data) // 2:,} bytes, "
        f"its manifest says {len(data):,}" in p.stdout
    )
    assert "1 of 9 landed files" in p.stdout

    capsys.readouterr()
    assert bootstrap(env, src) == 0  # lands it anew (the latest is quarantined) and goes on
    assert f"warning: {lake_path} quarantined: the file is" in capsys.readouterr().err
    assert raw_counts(env["db"]) == counts
    assert "quarantined (1 files" in status(env)
    p = run_cli(env, "verify")
    assert p.returncode == 0 and "verified 9 landed files" in p.stdout
    # The file restored byte for byte: the next bootstrap takes it back.
    path.write_bytes(data)
    assert bootstrap(env, src) == 0
    n = counts["online_transactions"]
    assert raw_counts(env["db"]) == {**counts, "online_transactions": 2 * n}
    assert "quarantined (0 files" in status(env)
    assert run_cli(env, "verify").returncode == 0


def test_a_same_size_change_is_caught_by_its_time_then_its_hash(env, capsys):
    src = env["tmp"] / "src"
    counts = make_source(src)
    assert bootstrap(env, src) == 0
    d = next((env["lake"] / "stores").iterdir())
    path = d / "Stores.csv"
    data = path.read_bytes()
    st = path.stat()
    path.write_bytes(data.replace(b"Springfield", b"Shelbyvill!"))
    os.utime(path, (st.st_atime, st.st_mtime + 5))
    with pytest.raises(duckdb.InvalidInputException, match="changed after it was loaded"):
        query(env["db"], "select * from raw.stores")
    # A copy with the same bytes (only its time moved) is hashed and taken back.
    path.write_bytes(data)
    os.utime(path, (st.st_atime, st.st_mtime + 9))
    assert bootstrap(env, src) == 0
    assert raw_counts(env["db"]) == counts
    assert "quarantined (0 files" in status(env)


# --- case 9: reset deletes only a lake ------------------------------------------------------


def test_reset_refuses_a_folder_that_is_not_a_lake(env, capsys):
    """Case 9: reset deleted whatever C360_LAKE named, recursively, and reported deleting
    a warehouse that did not exist."""
    home = env["tmp"] / "home"
    (home / "photos").mkdir(parents=True)
    (home / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    (home / "notes.txt").write_text("keep me")
    args = ["reset", "--yes", "--lake", str(home), "--duckdb", str(env["db"])]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: {home} does not look like a lake ({home / 'notes.txt'} is not something "
        "the loader writes): reset deletes nothing; check C360_LAKE or --lake"
    )
    assert (home / "photos" / "cat.jpg").exists() and (home / "notes.txt").exists()

    src = env["tmp"] / "src"
    make_source(src)
    assert bootstrap(env, src) == 0
    env["db"].unlink()
    capsys.readouterr()
    assert main(cli_args(env, "reset", "--yes")) == 0
    assert capsys.readouterr().out.strip() == (
        f"emptied the lake at {env['lake']} and found no warehouse at {env['db']}"
    )
    assert lake_files(env["lake"]) == []
    assert bootstrap(env, src) == 0


# --- the same on Azure (Azurite) --------------------------------------------------------------


def azure_lake(azurite, url: str):
    from loader.azure_lake import AzureLake

    return AzureLake.from_url(
        url, environ={"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    )


def test_on_azure_the_lock_is_a_blob_lease(azurite):
    import uuid

    url = f"az://t{uuid.uuid4().hex[:16]}/bronze"
    first, second = azure_lake(azurite, url), azure_lake(azurite, url)
    waits = []
    with first.lock(5):
        t0 = time.monotonic()
        with pytest.raises(LoaderError) as e, second.lock(1.5, waits.append):
            pass
        assert time.monotonic() - t0 >= 1.5
    assert str(e.value) == (
        f"another load is running on the lake at {url} (the lease on _lock); gave up "
        "waiting after 1.5s (C360_LOCK_TIMEOUT)"
    )
    assert waits == [f"another load is running on the lake at {url} (the lease on _lock)"]
    with second.lock(1):  # released: taken at once
        pass


def test_on_azure_leftovers_are_ignored_then_cleaned_and_a_gone_blob_is_quarantined(
    azurite, tmp_path
):
    import uuid

    url = f"az://t{uuid.uuid4().hex[:16]}/bronze"
    lake = azure_lake(azurite, url)
    src = tmp_path / "src"
    counts = make_source(src)
    landed = {x.landed.table: x.landed for x in land_source(validate_source(src), lake)}
    # what an interrupted landing (or the old loader) could leave: a file without its
    # manifest, and a 0-byte manifest
    lake.container.upload_blob("bronze/customers/20990101T000000000000Z/Customers.csv", b"x")
    lake.container.upload_blob("bronze/products/20990101T000000000000Z/_manifest.json", b"")
    assert lake.landed("customers") == [landed["customers"]]
    assert lake.landed("products") == [landed["products"]]
    assert sorted(lake.clean_interrupted()) == [
        "customers/20990101T000000000000Z/Customers.csv",
        "products/20990101T000000000000Z/_manifest.json",
    ]
    # a landed blob deleted before its load: quarantined, the other eight load
    lake.container.delete_blob(f"bronze/{landed['stores'].path}")
    quarantined = []
    DuckDBWarehouse(tmp_path / "c.duckdb").sync(
        lake, on_quarantine=lambda lf, reason: quarantined.append((lf.path, reason))
    )
    assert quarantined == [(landed["stores"].path, "the file is gone from the lake")]
    assert raw_counts(tmp_path / "c.duckdb") == {**counts, "stores": 0}
    assert [q.reason for q in lake.quarantined("stores")] == ["the file is gone from the lake"]
    assert lake.landed("stores") == []


def test_a_bad_byte_in_the_first_block_is_named_by_line_and_byte_too(env, capsys):
    src = env["tmp"] / "src"
    make_source(src)
    path = src / "Products.csv"
    data = path.read_bytes()
    path.write_bytes(data + b"2,Caf\xe9,Food,1.00\n")
    line = data.count(b"\n") + 1
    capsys.readouterr()
    assert bootstrap(env, src) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: Products.csv: not UTF-8 text at line {line} "
        f"(byte {len(data) + 5}): save it as UTF-8"
    )


def test_dbt_build_stops_on_a_landed_file_changed_after_its_load(env):
    """Case 8 through dbt: a full refresh used to rebuild silver from a truncated file
    (182 -> 85 rows). Now the build stops at the first model reading it, naming it."""
    from tests.warehouse_fixture import Warehouse

    src = env["tmp"] / "src"
    make_source(src)
    assert bootstrap(env, src) == 0
    d = next((env["lake"] / "online_transactions").iterdir())
    path = d / "OnlineTransactions.csv"
    data = path.read_bytes()
    path.write_bytes(data[:-20])
    wh = Warehouse(env["tmp"], src, env["db"])
    p = wh.dbt(
        "build",
        "--full-refresh",
        "--select",
        "+int_online_transactions__classified",
        "--exclude",
        "test_type:data",
    )
    assert p.returncode == 1
    assert (
        f"the lake file online_transactions/{d.name}/OnlineTransactions.csv ({path}) changed "
        f"after it was loaded (it was {len(data)} bytes)"
    ) in p.stdout
    assert "ERROR creating sql incremental model main.int_online_transactions__classified" in (
        p.stdout
    )


def test_on_azure_a_killed_bootstrap_holds_the_lease_until_it_ends_then_the_next_run_goes_on(
    azurite, tmp_path
):
    """SIGKILL right after a manifest on Azure: the killed run's lease on the lock blob
    is not released; the next bootstrap says another load is running, waits for the
    lease to end (C360_LEASE_SECONDS=15 here; 60 by default), then lands the rest."""
    import uuid

    from tests.azurite import azure_env

    url = f"az://t{uuid.uuid4().hex[:16]}/bronze"
    env = {"lake": url, "db": tmp_path / "c.duckdb"}
    environ = {**azure_env(azurite), "C360_LEASE_SECONDS": "15"}
    src = tmp_path / "src"
    counts = make_source(src)
    kill_at(env, src, "manifest", environ)
    lake = azure_lake(azurite, url)
    assert lake.lock_held()
    assert [lf.table for e in EXTRACTS for lf in lake.landed(e.table)] == ["customers"]
    p = run_cli(env, "status", env=environ)
    assert "a load is running now" in p.stdout and "pending (1 landed files" in p.stdout

    t0 = time.monotonic()
    p = run_cli(env, "bootstrap", "--source", str(src), env=environ)
    assert p.returncode == 0, p.stderr
    assert time.monotonic() - t0 < 30
    assert p.stderr.startswith(
        f"warning: another load is running on the lake at {url} (the lease on _lock): waiting"
    )
    assert raw_counts(tmp_path / "c.duckdb") == counts
    assert not lake.lock_held()
