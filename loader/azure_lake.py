"""The lake in Azure Blob Storage or ADLS Gen2: ``C360_LAKE=az://<container>/<prefix>``.

The same :class:`loader.lake.Lake` as the local folder, the same history layout under
the prefix (``<prefix>/<table>/<load_id>/<File>.csv``, then its ``_manifest.json``),
spoken over the Blob endpoint, which ADLS Gen2 (hierarchical namespace) accounts serve
too. ``abfs[s]://<container>@<account>.dfs.core.windows.net/<prefix>`` names the same place.

Credentials, from the environment only (see docs/azure-lake.md):

1. ``AZURE_STORAGE_CONNECTION_STRING`` (account key or SAS in the string; Azurite's too);
2. else ``AZURE_STORAGE_ACCOUNT_URL`` (``https://<account>.blob.core.windows.net``) with
   ``AZURE_STORAGE_SAS_TOKEN`` when set;
3. else that URL with ``DefaultAzureCredential`` (``az login``, managed or workload
   identity, ``AZURE_CLIENT_ID``/``AZURE_TENANT_ID``/``AZURE_CLIENT_SECRET``...).

Why the plain SDK (``azure-storage-blob``) and not fsspec/adlfs: what this lake must
guarantee sits exactly on the SDK's own knobs and is hidden or re-implemented by adlfs:
the stored Content-MD5 of each blob and a transactional MD5 per block (``validate_content``),
block size and single-put threshold for bounded memory, a progress hook, the storage
retry policy (:class:`ExponentialRetry`) and connect/read timeouts, and the typed
``azure.core`` errors we turn into one-line messages. adlfs is an async wrapper over the
same SDK that would add fsspec, adlfs and aiohttp to the lock file, to use four calls
(list by prefix, upload, download, delete). The local lake needs no fsspec either, so
fsspec would buy no sharing.

API version: the client uses the SDK's default (newest) service version; nothing here is
pinned for the emulator. The tests run Azurite with ``--skipApiVersionCheck``, which
accepts the newer ``x-ms-version``; every operation used here (Put Blob, Put Block,
Put Block List, Get Blob, Get Blob Properties, List Blobs, Delete Blob, Create
Container, Lease Blob) is years older than any version either side speaks.

Transient failures (connection refused or reset, timeouts, 408/429/5xx) are retried by
the SDK's retry policy with the small, explicit settings below, so a storage outage ends
the command after a few seconds with a :class:`LoaderError`, not after minutes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

from azure.core.credentials import AzureSasCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.blob import (
    BlobLeaseClient,
    BlobServiceClient,
    ContainerClient,
    ContentSettings,
    ExponentialRetry,
)

from loader.errors import BadLandedFile, LoaderError
from loader.lake import (
    LOCK,
    MANIFEST,
    PARTIAL,
    QUARANTINE,
    FileDigest,
    LandedFile,
    Progress,
    Quarantined,
    pause_for_tests,
    wait_to_take,
)

ENV_CONNECTION_STRING = "AZURE_STORAGE_CONNECTION_STRING"
ENV_ACCOUNT_URL = "AZURE_STORAGE_ACCOUNT_URL"
ENV_SAS_TOKEN = "AZURE_STORAGE_SAS_TOKEN"

CREDENTIALS_HINT = (
    f"set {ENV_CONNECTION_STRING}, or {ENV_ACCOUNT_URL} with {ENV_SAS_TOKEN} or a "
    "DefaultAzureCredential sign-in (az login, managed identity)"
)

MiB = 1024 * 1024


@dataclass(frozen=True)
class Transfer:
    """How blobs move: block sizes bound the memory of an upload or download to about
    ``block_size * concurrency``; retries and timeouts bound how long an outage takes."""

    block_size: int = 4 * MiB  # Put Block size, and Get Blob range size
    single_put_size: int = 4 * MiB  # files up to this size go in one Put Blob
    concurrency: int = 2  # blocks in flight at once
    # Retries after the first attempt, waiting initial_backoff + increment_base ** n
    # seconds (+/- jitter) before retry n: about 1.7, 1.9 and 2.2 s, 6 s in all.
    retry_total: int = 3
    initial_backoff: float = 0.5
    increment_base: float = 1.2
    jitter: float = 0.2
    connection_timeout: float = 5.0  # seconds to open a connection
    read_timeout: float = 60.0  # seconds between bytes of a response

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`BlobServiceClient` and friends."""
        return {
            "retry_policy": ExponentialRetry(
                initial_backoff=self.initial_backoff,  # type: ignore[arg-type]
                increment_base=self.increment_base,  # type: ignore[arg-type]
                retry_total=self.retry_total,
                random_jitter_range=self.jitter,  # type: ignore[arg-type]
            ),
            "connection_timeout": self.connection_timeout,
            "read_timeout": self.read_timeout,
            "max_block_size": self.block_size,
            "max_single_put_size": self.single_put_size,
            "max_chunk_get_size": self.block_size,
            "max_single_get_size": self.block_size,
        }


def parse_url(url: str) -> tuple[str, str, str | None]:
    """``(container, prefix, account URL or None)`` of ``az://<container>/<prefix>`` or
    ``abfs[s]://<container>@<account>.dfs.core.windows.net/<prefix>``. The prefix is
    empty or ends with ``/``."""
    parts = urlsplit(url)
    account_url = None
    container = parts.netloc
    if parts.scheme in ("abfs", "abfss") and "@" in parts.netloc:
        container, host = parts.netloc.split("@", 1)
        account_url = "https://" + host.replace(".dfs.", ".blob.", 1)
    # Container names: 3-63 of lower-case letters, digits and single hyphens.
    if not re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", container or ""):
        raise LoaderError(
            f"C360_LAKE={url!r}: expected az://<container>/<prefix>, the container "
            "3-63 lower-case letters, digits and hyphens"
        )
    prefix = parts.path.strip("/")
    return container, (prefix + "/" if prefix else ""), account_url


def _reason(e: BaseException) -> str:
    """The gist of an Azure error, on one line."""
    text = str(getattr(e, "message", None) or e)
    errno = re.search(r"\[Errno -?\d+\] [^'\"\)\]]+", text)
    if errno:
        return errno.group(0).strip()
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    code = getattr(e, "error_code", None)
    code = getattr(code, "value", code)  # StorageErrorCode is an enum
    if code and str(code) not in first:
        first = f"{code}: {first}"
    return first[:300]


class AzureLake:
    """A lake in a container of an Azure Storage account, under a prefix."""

    def __init__(
        self, container: ContainerClient, prefix: str, url: str, transfer: Transfer | None = None
    ) -> None:
        self.container = container
        self.prefix = prefix
        self.url = url
        self.transfer = transfer or Transfer()
        self._container_ready = False

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def from_url(
        cls, url: str, transfer: Transfer | None = None, environ: Mapping[str, str] | None = None
    ) -> AzureLake:
        """The lake named by ``url``, with credentials from the environment (an
        ``abfss://`` URL's account comes before ``AZURE_STORAGE_ACCOUNT_URL``)."""
        env = os.environ if environ is None else environ
        container, prefix, url_account = parse_url(url)
        transfer = transfer or Transfer()
        kw = transfer.client_kwargs()
        conn = env.get(ENV_CONNECTION_STRING, "").strip()
        account_url = url_account or env.get(ENV_ACCOUNT_URL, "").strip()
        try:
            if conn:
                service = BlobServiceClient.from_connection_string(conn, **kw)
            elif account_url:
                sas = env.get(ENV_SAS_TOKEN, "").strip().lstrip("?")
                if sas:
                    credential: Any = AzureSasCredential(sas)
                elif not account_url.startswith("https://"):
                    raise LoaderError(
                        f"C360_LAKE={url}: {ENV_ACCOUNT_URL}={account_url} must "
                        "be https:// for a DefaultAzureCredential sign-in"
                    )
                else:
                    from azure.identity import DefaultAzureCredential

                    credential = DefaultAzureCredential()
                service = BlobServiceClient(account_url, credential=credential, **kw)
            else:
                raise LoaderError(
                    f"C360_LAKE={url}: no Azure Storage credentials: {CREDENTIALS_HINT}"
                )
        except (ValueError, AzureError) as e:
            source = ENV_CONNECTION_STRING if conn else ENV_ACCOUNT_URL
            raise LoaderError(f"C360_LAKE={url}: {source} is not usable: {_reason(e)}") from e
        return cls(service.get_container_client(container), prefix, url, transfer)

    # --- errors ----------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.container.url

    def _fail(self, doing: str, e: AzureError) -> NoReturn:
        """Raise the :class:`LoaderError` a user can act on for an Azure error."""
        where = f"the lake at {self.url} ({self.endpoint})"
        if isinstance(e, ClientAuthenticationError):
            msg = (
                f"{where} refused the credentials while {doing}: {_reason(e)}; check "
                f"{ENV_CONNECTION_STRING} / {ENV_SAS_TOKEN} or your Azure sign-in"
            )
        elif isinstance(e, ServiceRequestError):
            msg = (
                f"cannot reach {where} while {doing} (after {self.transfer.retry_total} "
                f"retries): {_reason(e)}; check the account URL or connection string and "
                "the network"
            )
        elif isinstance(e, ServiceResponseError):
            msg = (
                f"{where} stopped answering while {doing} (after "
                f"{self.transfer.retry_total} retries): {_reason(e)}; try again"
            )
        elif isinstance(e, HttpResponseError) and e.status_code == 403:
            msg = (
                f"{where} denied {doing}: {_reason(e)}; check the key or SAS token (it "
                "needs read, add, create, write, delete and list), the identity's 'Storage "
                "Blob Data Contributor' role, and the account's network rules"
            )
        elif isinstance(e, HttpResponseError):
            msg = f"{where} answered {e.status_code} while {doing}: {_reason(e)}"
        else:
            msg = f"{where}: {doing} failed: {_reason(e)}"
        err = LoaderError(msg.replace("\n", " "))
        err.lake_outage = True  # type: ignore[attr-defined]  # not the file's fault: no quarantine
        raise err from e

    # --- the lake --------------------------------------------------------------------------

    def _name(self, *parts: str) -> str:
        return self.prefix + "/".join(parts)

    def _ensure_container(self) -> None:
        """Create the container if it is missing (once per run)."""
        if self._container_ready:
            return
        try:
            self.container.create_container()
        except ResourceExistsError:
            pass
        except HttpResponseError as e:
            # A SAS or role scoped to the container may not create containers: if it
            # exists, the writes will work; if not, they will say so.
            if e.status_code != 403:
                self._fail(f"creating the container {self.container.container_name}", e)
        except AzureError as e:
            self._fail(f"creating the container {self.container.container_name}", e)
        self._container_ready = True

    def _load_blobs(self, table: str) -> dict[str, dict[str, str]]:
        """{load id: {file name in the load folder: blob name}} of ``table``."""
        base = self._name(table) + "/"
        out: dict[str, dict[str, str]] = {}
        try:
            for b in self.container.list_blobs(name_starts_with=base):
                rest = b.name[len(base) :]
                if rest.count("/") == 1:
                    load_id, name = rest.split("/")
                    out.setdefault(load_id, {})[name] = b.name
        except ResourceNotFoundError as e:
            if getattr(e, "error_code", None) == "ContainerNotFound":
                return {}
            self._fail(f"listing {base}", e)
        except AzureError as e:
            self._fail(f"listing {base}", e)
        return dict(sorted(out.items()))

    def _read(self, name: str) -> bytes:
        try:
            return self.container.download_blob(name).readall()
        except AzureError as e:
            self._fail(f"reading {name}", e)

    def landed(self, table: str) -> list[LandedFile]:
        """Every completely landed file of ``table``: each load folder with a readable
        manifest, and not quarantined."""
        out = []
        for load_id, names in self._load_blobs(table).items():
            if MANIFEST in names and QUARANTINE not in names:
                lf = LandedFile.from_manifest(table, load_id, self._read(names[MANIFEST]))
                if lf is not None:
                    out.append(lf)
        return out

    def quarantined(self, table: str) -> list[Quarantined]:
        out = []
        for load_id, names in self._load_blobs(table).items():
            if QUARANTINE in names:
                rec = Quarantined.from_record(table, load_id, self._read(names[QUARANTINE]))
                if rec is not None:
                    out.append(rec)
        return out

    def quarantine(self, landed: LandedFile, reason: str) -> None:
        name = self._name(landed.table, landed.load_id, QUARANTINE)
        try:
            self.container.upload_blob(name, landed.quarantine_record(reason), overwrite=True)
        except AzureError as e:
            self._fail(f"quarantining {landed.path}", e)

    def release(self, landed: LandedFile) -> None:
        name = self._name(landed.table, landed.load_id, QUARANTINE)
        try:
            self.container.delete_blob(name)
        except ResourceNotFoundError:
            pass
        except AzureError as e:
            self._fail(f"deleting {name}", e)

    def clean_interrupted(self, dry_run: bool = False) -> list[str]:
        """Delete the blobs of load folders without a readable manifest (a blob is
        committed whole, so an interrupted upload leaves a whole file without its
        manifest, or uncommitted blocks that no listing shows and the service drops)."""
        from loader.contract import EXTRACTS

        removed = []
        for e in EXTRACTS:
            for load_id, names in self._load_blobs(e.table).items():
                complete = QUARANTINE in names or (
                    MANIFEST in names
                    and LandedFile.from_manifest(e.table, load_id, self._read(names[MANIFEST]))
                )
                doomed = (
                    list(names.values())
                    if not complete
                    else [b for n, b in names.items() if n.endswith(PARTIAL)]
                )
                for b in doomed:
                    if dry_run:
                        removed.append(b[len(self.prefix) :])
                        continue
                    try:
                        self.container.delete_blob(b)
                    except ResourceNotFoundError:
                        pass
                    except AzureError as err:
                        self._fail(f"deleting {b}", err)
                    removed.append(b[len(self.prefix) :])
        return removed

    def lock_held(self) -> bool:
        """Whether a lease is held on the lock blob now (a load is running, or one was
        killed less than a lease ago)."""
        try:
            props = self.container.get_blob_client(self._name(LOCK)).get_blob_properties()
        except ResourceNotFoundError:
            return False
        except AzureError as e:
            self._fail(f"reading {self._name(LOCK)}", e)
        return props.lease.state == "leased"

    @staticmethod
    def lease_seconds() -> int:
        """How long the lock's lease lasts without renewal: how long a killed holder
        blocks the next run (60 s; C360_LEASE_SECONDS, 15 to 60, shortens it)."""
        try:
            seconds = int(os.environ.get("C360_LEASE_SECONDS") or 60)
        except ValueError as e:
            raise LoaderError("C360_LEASE_SECONDS must be 15 to 60 (seconds)") from e
        if not 15 <= seconds <= 60:
            raise LoaderError("C360_LEASE_SECONDS must be 15 to 60 (seconds)")
        return seconds

    @contextmanager
    def lock(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """A lease on the blob ``<prefix>_lock``, renewed by a thread every quarter of its
        duration while the context lasts. A killed holder stops renewing: its lease ends
        within :meth:`lease_seconds` (60 s)."""
        self._ensure_container()
        blob = self.container.get_blob_client(self._name(LOCK))
        try:
            blob.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            pass
        except HttpResponseError as e:
            if e.status_code not in (409, 412):  # exists, maybe leased by another run
                self._fail(f"creating the lock {blob.blob_name}", e)
        except AzureError as e:
            self._fail(f"creating the lock {blob.blob_name}", e)
        lease_seconds = self.lease_seconds()

        def take() -> BlobLeaseClient | None:
            try:
                return blob.acquire_lease(lease_duration=lease_seconds)
            except HttpResponseError as e:
                if e.status_code != 409:  # 409: another run holds the lease
                    self._fail(f"taking the lock {blob.blob_name}", e)
                return None
            except AzureError as e:
                self._fail(f"taking the lock {blob.blob_name}", e)

        lease = wait_to_take(
            take,
            lambda: f"another load is running on the lake at {self.url} (the lease on {LOCK})",
            timeout,
            on_wait,
            1.0,
        )
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(lease_seconds / 4):
                try:
                    lease.renew()
                except AzureError:
                    pass  # retried at the next tick; the lease lasts 60 s

        keeper = threading.Thread(target=renew, name="c360-lease", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            try:
                lease.release()
            except AzureError:
                pass  # it ends by itself within LEASE_SECONDS

    def not_a_lake(self) -> str | None:
        from loader.contract import EXTRACTS

        tables = {e.table for e in EXTRACTS}
        try:
            for b in self.container.list_blobs(name_starts_with=self.prefix):
                first = b.name[len(self.prefix) :].split("/", 1)[0]
                if not first.startswith("_") and first not in tables:
                    return f"{b.name} is not something the loader writes"
        except ResourceNotFoundError:
            return None
        except AzureError as e:
            self._fail(f"listing {self.prefix or 'the container'}", e)
        return None

    def land(
        self,
        table: str,
        load_id: str,
        source: Path,
        dig: FileDigest,
        *,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> LandedFile:
        """Upload ``source`` in blocks (one Put Blob when small), each block's MD5 checked
        by the service, the whole file's Content-MD5 stored; check the stored size and
        Content-MD5 against the source's; then write the manifest."""
        name = name or source.name
        blob_name = self._name(table, load_id, name)
        md5 = base64.b64decode(dig.md5)
        try:
            f = open(source, "rb")
        except OSError as e:
            raise LoaderError(f"{name}: cannot read {source}: {e}") from e
        self._ensure_container()
        blob = self.container.get_blob_client(blob_name)
        try:
            with f:
                blob.upload_blob(
                    f,
                    length=dig.bytes,
                    overwrite=True,
                    validate_content=True,
                    max_concurrency=self.transfer.concurrency,
                    content_settings=ContentSettings(
                        content_type="text/csv", content_md5=bytearray(md5)
                    ),
                    progress_hook=progress,
                )
            props = blob.get_blob_properties()
        except AzureError as e:
            self._fail(f"landing {name} as {blob_name}", e)
        stored_md5 = props.content_settings.content_md5
        stored = base64.b64encode(bytes(stored_md5)).decode() if stored_md5 else None
        if props.size != dig.bytes or stored != dig.md5:
            raise LoaderError(
                f"{name}: the lake at {self.url} holds {props.size:,} bytes with Content-MD5 "
                f"{stored} at {blob_name}, the source {dig.bytes:,} bytes with {dig.md5}: "
                "not landed; run bootstrap again"
            )
        landed = LandedFile(
            table, load_id, name, dig.sha256, dig.md5, dig.bytes, datetime.now(UTC).isoformat()
        )
        manifest = landed.manifest()
        try:
            self.container.upload_blob(
                self._name(table, load_id, MANIFEST),
                manifest,
                overwrite=True,
                validate_content=True,
                content_settings=ContentSettings(
                    content_type="application/json",
                    content_md5=bytearray(hashlib.md5(manifest, usedforsecurity=False).digest()),
                ),
            )
        except AzureError as e:
            self._fail(f"writing the manifest of {blob_name}", e)
        pause_for_tests("manifest")
        return landed

    @contextmanager
    def local_copy(self, landed: LandedFile) -> Iterator[Path]:
        """Download the landed file, block by block, to a temporary file that is deleted
        when the context ends; its sha256 must equal the manifest's."""
        blob_name = self._name(landed.path)
        with tempfile.TemporaryDirectory(prefix="c360-lake-") as tmp:
            path = Path(tmp) / landed.file
            sha = hashlib.sha256()
            try:
                stream = self.container.download_blob(blob_name, max_concurrency=1)
                with open(path, "wb") as f:
                    for chunk in stream.chunks():
                        sha.update(chunk)
                        f.write(chunk)
            except ResourceNotFoundError as e:
                if getattr(e, "error_code", None) == "BlobNotFound":
                    raise BadLandedFile(landed, "the file is gone from the lake") from e
                self._fail(f"reading {blob_name}", e)
            except AzureError as e:
                self._fail(f"reading {blob_name}", e)
            if sha.hexdigest() != landed.sha256:
                raise BadLandedFile(
                    landed,
                    f"{blob_name} in the lake at {self.url} does not match its manifest's "
                    "sha256: the lake was changed outside the loader",
                )
            yield path

    def file_path(self, landed: LandedFile) -> Path | None:
        """None: blobs are not readable in place on this machine (see Lake.file_path)."""
        return None

    def reset(self) -> None:
        """Delete every blob under the prefix, deepest first (on ADLS Gen2 a directory
        goes only once it is empty)."""
        try:
            names = [
                b.name
                for b in self.container.list_blobs(name_starts_with=self.prefix)
                if b.name != self._name(LOCK)
            ]
            for n in sorted(names, reverse=True):
                try:
                    self.container.delete_blob(n)
                except ResourceNotFoundError:
                    pass
        except ResourceNotFoundError as e:
            if getattr(e, "error_code", None) != "ContainerNotFound":
                self._fail(f"emptying {self.prefix or 'the container'}", e)
        except AzureError as e:
            self._fail(f"emptying {self.prefix or 'the container'}", e)
