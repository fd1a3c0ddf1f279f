"""The lake on Azure (issue 4), against a real Azurite: landing, byte equality, the
same-content no-op, the missing-file refusal, outages, and raw tables loaded from the lake.

Each test uses its own container on the session's Azurite; the outage tests start and
stop an Azurite of their own.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from azure.identity import DefaultAzureCredential
from azure.storage.blob import (
    AccountSasPermissions,
    BlobServiceClient,
    ResourceTypes,
    generate_account_sas,
)

from loader.azure_lake import AzureLake, Transfer, parse_url
from loader.cli import main
from loader.contract import EXTRACTS
from loader.errors import LoaderError
from loader.lake import MANIFEST, LandedFile, digest
from loader.warehouse import DuckDBWarehouse
from tests.azurite import ACCOUNT, ACCOUNT_KEY, REPO, Azurite, azure_env
from tests.sources import VALID_ROW, write_source

MiB = 1024 * 1024


# --- helpers --------------------------------------------------------------------------------


def make_source(folder: Path, variant: int = 0) -> dict[str, int]:
    """The nine files, table i with i + 1 + variant records (a different variant is
    different content in every file); Customers.csv with a byte-order mark, CRLF line
    ends and a quoted line break. Returns the records per table."""
    rows = {e.table: [VALID_ROW[e.table]] * (i + 1 + variant) for i, e in enumerate(EXTRACTS)}
    rows["customers"] = [VALID_ROW["customers"], ["2", "Grace\nHopper", "g@example.org", "x"]]
    rows["customers"] += [VALID_ROW["customers"]] * variant
    write_source(folder, rows, newline="\r\n")
    customers = folder / "Customers.csv"
    customers.write_bytes(b"\xef\xbb\xbf" + customers.read_bytes())
    return {t: len(r) for t, r in rows.items()}


def new_container() -> str:
    return "t" + uuid.uuid4().hex[:16]


def blobs(azurite: Azurite, container: str) -> dict[str, bytes]:
    """Every blob of ``container`` (empty when it does not exist), name -> bytes; the
    lake's lock (``<prefix>_lock``, an empty blob that is leased) left out."""
    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    c = service.get_container_client(container)
    if not c.exists():
        return {}
    return {
        b.name: c.download_blob(b.name).readall()
        for b in c.list_blobs()
        if not b.name.endswith("_lock")
    }


def lake_of(azurite: Azurite, url: str, transfer: Transfer | None = None) -> AzureLake:
    return AzureLake.from_url(
        url, transfer, environ={"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string}
    )


@pytest.fixture
def use(monkeypatch: pytest.MonkeyPatch):
    """Point the loader's environment at an Azurite (connection string only)."""

    def point(azurite: Azurite) -> None:
        for k in list(os.environ):
            if k.startswith("AZURE_") or k.startswith("C360_"):
                monkeypatch.delenv(k)
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string)

    return point


def bootstrap(source: Path, lake_url: str, db: Path) -> int:
    return main(
        ["bootstrap", "--source", str(source), "--lake", lake_url, "--duckdb", str(db), "--quiet"]
    )


def cli(azurite: Azurite, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        cwd=REPO,
        env=azure_env(azurite),
        capture_output=True,
        text=True,
        timeout=120,
    )


def raw_state(db: Path) -> dict[str, object]:
    """Row counts of every raw table and the ledger's rows: what must not change."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        state: dict[str, object] = {
            e.table: con.execute(f"select count(*) from raw.{e.table}").fetchone()[0]
            for e in EXTRACTS
        }
        state["malformed_records"] = con.execute(
            "select count(*) from raw.malformed_records"
        ).fetchone()[0]
        state["_loads"] = con.execute(
            "select table_name, load_id, source_file, sha256, records from raw._loads order by all"
        ).fetchall()
        return state
    finally:
        con.close()


def raw_counts(db: Path) -> dict[str, int]:
    state = raw_state(db)
    return {e.table: state[e.table] for e in EXTRACTS}  # type: ignore[misc]


# --- landing --------------------------------------------------------------------------------


def test_bootstrap_lands_the_nine_files_in_the_history_layout(azurite, use, tmp_path):
    use(azurite)
    container = new_container()
    src = tmp_path / "src"
    make_source(src)

    assert bootstrap(src, f"az://{container}/bronze/retail", tmp_path / "c360.duckdb") == 0

    names = sorted(blobs(azurite, container))
    assert len(names) == 18
    load_ids = {n.split("/")[3] for n in names}
    assert len(load_ids) == 1
    (load_id,) = load_ids
    assert datetime.strptime(load_id, "%Y%m%dT%H%M%S%fZ")
    assert names == sorted(
        f"bronze/retail/{e.table}/{load_id}/{f}" for e in EXTRACTS for f in (e.file, MANIFEST)
    )


def test_landed_files_are_byte_for_byte_with_their_content_md5(azurite, use, tmp_path):
    use(azurite)
    container = new_container()
    src = tmp_path / "src"
    make_source(src)
    assert bootstrap(src, f"az://{container}", tmp_path / "c360.duckdb") == 0

    service = BlobServiceClient.from_connection_string(azurite.connection_string)
    c = service.get_container_client(container)
    stored = blobs(azurite, container)
    for e in EXTRACTS:
        source = (src / e.file).read_bytes()
        [name] = [n for n in stored if n.endswith("/" + e.file)]
        assert stored[name] == source, e.file
        md5 = hashlib.md5(source).digest()
        props = c.get_blob_client(name).get_blob_properties()
        assert bytes(props.content_settings.content_md5) == md5
        assert props.size == len(source)
        manifest = LandedFile.from_manifest(
            e.table, name.split("/")[1], stored[name.rsplit("/", 1)[0] + "/" + MANIFEST]
        )
        assert manifest.file == e.file
        assert manifest.sha256 == hashlib.sha256(source).hexdigest()
        assert manifest.md5 == base64.b64encode(md5).decode()
        assert manifest.bytes == len(source)
    assert stored[next(n for n in stored if n.endswith("/Customers.csv"))].startswith(
        b"\xef\xbb\xbfCustomerID,Name,Email,Address\r\n"
    )


def test_same_content_again_is_a_no_op_whatever_the_name_or_folder(azurite, use, tmp_path, capsys):
    use(azurite)
    url = f"az://{(container := new_container())}/lake"
    db = tmp_path / "c360.duckdb"
    src = tmp_path / "src"
    counts = make_source(src)
    assert bootstrap(src, url, db) == 0
    first = blobs(azurite, container)
    state = raw_state(db)

    assert bootstrap(src, url, db) == 0  # the same folder again
    # Another folder, the same bytes, a file named in another case.
    other = tmp_path / "elsewhere"
    shutil.copytree(src, other)
    (other / "Customers.csv").rename(other / "CUSTOMERS.CSV")
    capsys.readouterr()
    assert main(["bootstrap", "--source", str(other), "--lake", url, "--duckdb", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.count("unchanged, already in the lake") == 9
    assert blobs(azurite, container) == first
    assert raw_state(db) == state
    assert raw_counts(db) == counts

    # One changed file is one new load folder, for that table only.
    (other / "CUSTOMERS.CSV").unlink()
    rows = [VALID_ROW["customers"], ["3", "Alan Turing", "alan@example.org", "Bletchley"]]
    write_source(tmp_path / "changed", {"customers": rows})
    shutil.copy(tmp_path / "changed" / "Customers.csv", other / "Customers.csv")
    assert bootstrap(other, url, db) == 0
    added = sorted(set(blobs(azurite, container)) - set(first))
    assert len(added) == 2 and all(n.startswith("lake/customers/") for n in added)
    assert raw_counts(db)["customers"] == counts["customers"] + 2


def test_a_missing_file_is_refused_by_name_and_nothing_lands(azurite, use, tmp_path, capsys):
    use(azurite)
    container = new_container()
    src = tmp_path / "src"
    make_source(src)
    (src / "LoyaltyTransactions.csv").unlink()
    db = tmp_path / "c360.duckdb"

    assert bootstrap(src, f"az://{container}/lake", db) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: LoyaltyTransactions.csv: required file is missing")
    assert len(err.strip().splitlines()) == 1
    assert blobs(azurite, container) == {}
    assert not db.exists()


# --- raw from the lake ----------------------------------------------------------------------


def test_raw_tables_load_from_what_is_in_the_lake(azurite, use, tmp_path):
    use(azurite)
    url = f"az://{new_container()}/bronze"
    src = tmp_path / "src"
    counts = make_source(src)
    db = tmp_path / "c360.duckdb"
    assert bootstrap(src, url, db) == 0
    assert raw_counts(db) == counts
    assert raw_state(db)["malformed_records"] == 0

    # The source folder gone and a new warehouse: the lake alone loads the same records.
    shutil.rmtree(src)
    db2 = tmp_path / "again.duckdb"
    results = DuckDBWarehouse(db2).sync(lake_of(azurite, url))
    assert {r.table: r.records for r in results} == counts
    assert raw_counts(db2) == counts
    con = duckdb.connect(str(db2), read_only=True)
    try:
        name, lake_path = con.execute(
            "select name, _lake_path from raw.customers where customer_id = '2'"
        ).fetchone()
    finally:
        con.close()
    assert name == "Grace\nHopper"  # the quoted line break, as it is in the file
    assert lake_path.startswith("customers/") and lake_path.endswith("/Customers.csv")


# --- large files ----------------------------------------------------------------------------


def test_a_large_file_goes_in_blocks_with_bounded_memory_and_progress(azurite, tmp_path):
    size = 24 * MiB + 123
    big = tmp_path / "OnlineTransactions.csv"
    with open(big, "wb") as f:
        for _ in range(24):
            f.write(os.urandom(MiB))
        f.write(b"x" * 123)
    dig = digest(big)
    lake = lake_of(
        azurite,
        f"az://{new_container()}/big",
        Transfer(block_size=MiB, single_put_size=MiB, concurrency=2),
    )
    calls: list[tuple[int, int]] = []

    tracemalloc.start()
    try:
        landed = lake.land(
            "online_transactions",
            "L1",
            big,
            dig,
            progress=lambda done, total: calls.append((done, total)),
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * MiB, f"peak Python memory {peak / MiB:.1f} MiB for a 24 MiB file"
    assert len(calls) >= 25 and calls[-1] == (size, size)
    assert all(t == size for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    blob = lake.container.get_blob_client(f"big/online_transactions/L1/{big.name}")
    committed, _ = blob.get_block_list("committed")
    assert len(committed) == 25
    assert lake.landed("online_transactions") == [landed]
    with lake.local_copy(landed) as copy:
        assert digest(copy) == dig
    assert not copy.exists()  # deleted when the context ends


# --- outages --------------------------------------------------------------------------------


def test_storage_down_before_the_run_fails_in_one_line_and_raw_is_unchanged(
    azurite_own, use, tmp_path
):
    use(azurite_own)
    url = f"az://{new_container()}/lake"
    db = tmp_path / "c360.duckdb"
    make_source(tmp_path / "a")
    assert bootstrap(tmp_path / "a", url, db) == 0
    before = raw_state(db)
    make_source(tmp_path / "b", variant=1)
    env_cs = azurite_own.connection_string

    azurite_own.stop()
    t0 = time.monotonic()
    r = cli(
        azurite_own,
        "bootstrap",
        "--source",
        str(tmp_path / "b"),
        "--lake",
        url,
        "--duckdb",
        str(db),
    )
    seconds = time.monotonic() - t0

    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(
        f"error: cannot reach the lake at {url} "
    )
    assert "Connection refused" in r.stderr and "after 3 retries" in r.stderr
    assert env_cs.split("AccountKey=")[1].split(";")[0] not in r.stderr + r.stdout
    assert seconds < 30
    assert raw_state(db) == before


def test_storage_down_mid_landing_fails_in_one_line_and_raw_is_unchanged(
    azurite_own, use, tmp_path, monkeypatch, capsys
):
    use(azurite_own)
    url = f"az://{new_container()}/lake"
    db = tmp_path / "c360.duckdb"
    make_source(tmp_path / "a")
    assert bootstrap(tmp_path / "a", url, db) == 0
    before = raw_state(db)
    make_source(tmp_path / "b", variant=1)

    landed: list[str] = []
    land = AzureLake.land

    def land_then_stop(self, table, load_id, source, dig, **kw):
        out = land(self, table, load_id, source, dig, **kw)
        landed.append(out.file)
        azurite_own.stop()  # storage goes away after the first file has landed
        return out

    monkeypatch.setattr(AzureLake, "land", land_then_stop)
    capsys.readouterr()
    assert bootstrap(tmp_path / "b", url, db) == 2
    err = capsys.readouterr().err
    assert landed == ["Customers.csv"]
    assert err.count("\n") == 1 and err.startswith(f"error: cannot reach the lake at {url} ")
    assert raw_state(db) == before


def test_storage_down_mid_raw_load_rolls_back_every_raw_table(
    azurite_own, use, tmp_path, monkeypatch, capsys
):
    use(azurite_own)
    url = f"az://{new_container()}/lake"
    db = tmp_path / "c360.duckdb"
    make_source(tmp_path / "a")
    assert bootstrap(tmp_path / "a", url, db) == 0
    before = raw_state(db)
    make_source(tmp_path / "b", variant=1)

    read: list[str] = []
    local_copy = AzureLake.local_copy

    @contextmanager
    def copy_then_stop(self, lf) -> Iterator[Path]:
        with local_copy(self, lf) as path:
            yield path
        read.append(lf.file)
        azurite_own.stop()  # storage goes away after the first file was loaded into raw

    monkeypatch.setattr(AzureLake, "local_copy", copy_then_stop)
    capsys.readouterr()
    assert bootstrap(tmp_path / "b", url, db) == 2
    err = capsys.readouterr().err
    assert read == ["Customers.csv"]
    assert err.count("\n") == 1 and err.startswith(f"error: cannot reach the lake at {url} ")
    assert raw_state(db) == before


# --- credentials and URLs -------------------------------------------------------------------


def test_account_url_with_a_sas_token(azurite, tmp_path):
    sas = generate_account_sas(
        ACCOUNT,
        ACCOUNT_KEY,
        ResourceTypes(container=True, object=True),
        AccountSasPermissions(read=True, write=True, delete=True, list=True, add=True, create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    lake = AzureLake.from_url(
        f"az://{new_container()}/sas",
        environ={
            "AZURE_STORAGE_ACCOUNT_URL": azurite.blob_endpoint,
            "AZURE_STORAGE_SAS_TOKEN": "?" + sas,
        },
    )
    f = tmp_path / "Stores.csv"
    f.write_bytes(b"StoreID,Location,Manager,OpenHours\n1,a,b,c\n")
    landed = lake.land("stores", "L1", f, digest(f))
    assert lake.landed("stores") == [landed]
    lake.reset()
    assert lake.landed("stores") == []


def test_account_url_alone_uses_default_azure_credential():
    lake = AzureLake.from_url(
        "az://lake/bronze",
        environ={"AZURE_STORAGE_ACCOUNT_URL": "https://example.blob.core.windows.net"},
    )
    assert isinstance(lake.container.credential, DefaultAzureCredential)
    assert lake.container.url == "https://example.blob.core.windows.net/lake"
    assert lake.prefix == "bronze/"


def test_no_credentials_or_a_bad_url_is_a_clear_error():
    with pytest.raises(
        LoaderError, match="no Azure Storage credentials: set AZURE_STORAGE_CONNECTION_STRING"
    ):
        AzureLake.from_url("az://lake/bronze", environ={})
    with pytest.raises(LoaderError, match="expected az://<container>/<prefix>"):
        AzureLake.from_url("az://Bad_Container/x", environ={})
    with pytest.raises(LoaderError, match="must be https:// for a DefaultAzureCredential"):
        AzureLake.from_url("az://lake", environ={"AZURE_STORAGE_ACCOUNT_URL": "http://x"})
    with pytest.raises(LoaderError, match="AZURE_STORAGE_CONNECTION_STRING is not usable"):
        AzureLake.from_url("az://lake", environ={"AZURE_STORAGE_CONNECTION_STRING": "nonsense"})
    assert parse_url("az://lake") == ("lake", "", None)
    assert parse_url("abfss://lake@acct.dfs.core.windows.net/a/b/") == (
        "lake",
        "a/b/",
        "https://acct.blob.core.windows.net",
    )


def test_a_wrong_key_is_refused_in_one_line(azurite, tmp_path, capsys, monkeypatch):
    wrong = base64.b64encode(b"not the key" * 6).decode()
    monkeypatch.setenv(
        "AZURE_STORAGE_CONNECTION_STRING", azurite.connection_string.replace(ACCOUNT_KEY, wrong)
    )
    src = tmp_path / "src"
    make_source(src)
    assert bootstrap(src, f"az://{new_container()}", tmp_path / "c360.duckdb") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "refused the credentials" in err or "denied" in err
    assert wrong not in err
