"""The raw tables on Azure: SQL Server / Azure SQL (``--target sqlserver``) and Synapse
dedicated SQL pools (``--target synapse``), loaded from the lake.

The same raw layer as :mod:`loader.warehouse` (DuckDB): ``raw.<table>`` with every field
as text plus lineage, ``raw.malformed_records`` for records that cannot be split, and
the ledger ``raw._loads``; a sync loads every landed file not in the ledger, one
transaction a file (see Transactions). Records are split in Python by
:func:`loader.records.split_records`, the same splitter as on DuckDB, so a malformed line
has the same fate on every engine.

How rows reach the warehouse
----------------------------
**Synapse: COPY INTO from the lake.** The loader writes, per landed file, a
*normalized* CSV to the lake, ``_normalized/<table>/<load_id>/<File>.csv``: a header row, then
one line per good record with the contract's columns in the contract's order followed by
the lineage columns, exactly the raw table's columns. ``COPY INTO raw.<table>`` then reads
it in parallel on every compute node (``FIRSTROW = 2`` skips the header, ``MAXERRORS = 0``
makes a rejected row fail the load). Why not COPY the landed file itself: COPY cannot
number records, reorder header columns (the contract accepts any order and any case) or
set a reject apart with its text, and a malformed line would have to be told from a
type error after the fact. Malformed records go the same way, through a second
normalized file (``_normalized/malformed_records/<table>/<load_id>/<File>.csv``) into
``raw.malformed_records``: Synapse has no multi-row ``VALUES`` and
row-by-row inserts are slow there. The credential is the workspace's managed identity
(default) or a SAS token (``SYNAPSE_COPY_CREDENTIAL=sas``, ``SYNAPSE_COPY_SAS_TOKEN``).
COPY's error file goes to ``_rejected/<table>/<load_id>/`` given as a path relative to the
lake's container (``ERRORFILE = '/<prefix>/_rejected/…'``): Microsoft documents that such
a path is written with ``CREDENTIAL`` and needs no ``ERRORFILE_CREDENTIAL``, which does not
list managed identity for Blob Storage endpoints. ``DATEFORMAT = 'ymd'`` is explicit, so
that ``_loaded_at`` (``YYYY-MM-DD hh:mm:ss.ffffff``) never depends on the session's
language or ``SET DATEFORMAT``.

**SQL Server / Azure SQL: client-side bulk copy in chunks.** Good records are sent as
parameterized ``INSERT`` statements with pyodbc's ``fast_executemany`` (ODBC parameter
arrays: one round trip per chunk of :data:`CHUNK_ROWS` rows). Chosen over ``BULK INSERT``
from an external data source because it needs no server-side setup (``BULK INSERT``
needs a database scoped credential, an external data source and the
``ADMINISTER DATABASE BULK OPERATIONS`` permission, and reaches only Azure Blob on Azure
SQL Database), it works the same on Azure SQL Database, Managed Instance and SQL Server
on-premises, and it keeps the record numbers and malformed lines of the Python splitter.

Transactions
------------
The connection runs in autocommit mode; ``ensure_schema`` creates what is missing first
(Synapse refuses DDL inside a user transaction). Then each landed file is loaded in a
transaction of its own, between an explicit ``BEGIN TRANSACTION`` and ``COMMIT
TRANSACTION``: Azure SQL governs the log used per transaction, so one transaction over a
whole load (every file of every table) could exceed it where one file does not. The
all-or-nothing unit is the file, through the ledger: a file's rows, its malformed records
and its ``raw._loads`` row are committed together, so a file's rows are visible (and
counted by dbt's accounting test) only with its ledger row. Each file's transaction first
deletes any row of that (load id, file) in ``raw.<table>`` and ``raw.malformed_records``:
a file not in the ledger has no rows that count, so a rerun after a failure part-way never
duplicates a row, whatever was left. On any error the loader sends
``IF @@TRANCOUNT > 0 ROLLBACK TRANSACTION`` and closes the connection: the files committed
before it stay loaded (they are in the ledger), the failed file left nothing, and the next
bootstrap loads it and the files after it. On SQL Server ``SET XACT_ABORT ON`` makes any
run-time error doom the whole transaction, never a single statement.

A landed file that cannot be loaded (gone from the lake, its bytes no longer those of its
manifest, unreadable: :class:`loader.errors.BadLandedFile`) is not such an error: its
transaction is rolled back, so it leaves nothing, the file is quarantined in the lake with
its reason (``python -m loader status`` lists it), and the load goes on with the next
file, as on DuckDB. A file of a local lake is checked against its manifest before it is
read (its size, and its sha256 unless this run landed it); an Azure lake's download is
checked as it arrives.

Types
-----
Field columns are ``nvarchar(4000)`` (UTF-8 text of any script; bounded, since Synapse's
tables and dynamic SQL have no ``max`` types and a bounded type keeps row estimates
sane). A field longer than 4000 characters (UTF-16 code units) is stored with its
surrounding white space removed (silver trims anyway) and, when still longer, cut to
4000: every declared length in the contract is at most 255, so such a value is
``invalid_value`` in silver either way and the record keeps its fate; the full bytes
stay in the lake. ``record_text`` of a malformed record is cut the same way, and its
``error`` says so. Lineage: ``_source_row bigint``, ``_loaded_at datetime2(6)`` (UTC).
Raw tables on Synapse are ``HEAP`` with ``ROUND_ROBIN`` distribution, Microsoft's advice
for load targets; dbt's silver tables carry the hash distribution and columnstore.

Safety
------
Nothing read from a file is ever inside a SQL string: values travel as parameters (SQL
Server) or inside the normalized file COPY reads (Synapse). Table and column names come
from :mod:`loader.contract` and are bracket-quoted. The only literals are the COPY
options, the https URL of the normalized file (built from the lake's URL, the
contract's table and file names and a load id checked against its format) and, with
SAS, the token, since COPY INTO accepts no variables there.

These paths are verified at statement level here (tests/test_tsql_loader.py records
every statement and parameter sent through the DB-API); no SQL Server or Synapse runs
in the test suite.
"""

from __future__ import annotations

import csv
import os
import re
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote, urlsplit

from loader.contract import EXTRACTS, LINEAGE_COLUMNS, Extract
from loader.errors import BadLandedFile, LoaderError
from loader.lake import Lake, LandedFile, digest
from loader.records import LineTally, Malformed, count_lines, split_records
from loader.sync import (
    SCHEMAS,
    FileProgress,
    TableLoad,
    check_local_file,
    landed_file_errors,
    load_pending,
    pending_files,
)

Engine = Literal["sqlserver", "synapse"]
ENGINES: tuple[Engine, ...] = ("sqlserver", "synapse")
ENGINE_NAMES: dict[str, str] = {"sqlserver": "SQL Server", "synapse": "Synapse"}

FIELD_LIMIT = 4000  # nvarchar(4000): UTF-16 code units
CHUNK_ROWS = 1000  # rows per fast_executemany round trip (parameter arrays are fixed width)
NORMALIZED = "_normalized"  # lake prefix of the files COPY INTO reads
REJECTED = "_rejected"  # lake prefix of COPY's error files
LOAD_ID = re.compile(r"[0-9]{8}T[0-9]{12}Z")
SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%-]+)+/?")
TOKEN_SCOPE = "https://database.windows.net/.default"
SQL_COPT_SS_ACCESS_TOKEN = 1256  # msodbcsql: pass an Entra ID access token before connecting

MALFORMED_COLUMNS: tuple[str, ...] = (
    "_table",
    "_source_file",
    "_source_row",
    "_load_id",
    "_loaded_at",
    "_lake_path",
    "record_key",
    "record_text",
    "error",
)
LOADS_COLUMNS: tuple[str, ...] = (
    "table_name",
    "load_id",
    "source_file",
    "lake_path",
    "sha256",
    "records",
    "malformed",
    "loaded_at",
    "physical_lines",
    "other_lines",
)

# Authentication values, as dbt-sqlserver's and dbt-synapse's `authentication` spells them.
TOKEN_AUTH = {"auto", "activedirectorydefault", "cli", "environment", "msi", "activedirectorymsi"}
DRIVER_AUTH = {
    "activedirectorypassword": "ActiveDirectoryPassword",
    "activedirectoryinteractive": "ActiveDirectoryInteractive",
    "activedirectoryintegrated": "ActiveDirectoryIntegrated",
    "activedirectoryserviceprincipal": "ActiveDirectoryServicePrincipal",
    "serviceprincipal": "ActiveDirectoryServicePrincipal",
}


# --- SQL text ----------------------------------------------------------------------------


def q(name: str) -> str:
    """A bracket-quoted T-SQL identifier."""
    return "[" + name.replace("]", "]]") + "]"


def literal(text: str) -> str:
    """A T-SQL string literal (only for loader-built text: URLs, option values)."""
    return "'" + text.replace("'", "''") + "'"


def raw_columns(extract: Extract) -> tuple[str, ...]:
    """The raw table's columns, in order: the contract's, then the lineage."""
    return extract.column_names + LINEAGE_COLUMNS


def _table_options(engine: Engine) -> str:
    return " with (distribution = round_robin, heap)" if engine == "synapse" else ""


def _create(table: str, columns: str, engine: Engine) -> str:
    return (
        f"if object_id(N'raw.{table}', N'U') is null create table raw.{q(table)} "
        f"({columns}){_table_options(engine)}"
    )


def raw_table_ddl(extract: Extract, engine: Engine) -> str:
    cols = ", ".join(f"{q(c)} nvarchar({FIELD_LIMIT}) null" for c in extract.column_names)
    return _create(
        extract.table,
        f"{cols}, [_source_file] nvarchar(255) null, "
        "[_source_row] bigint null, [_load_id] varchar(32) null, "
        "[_loaded_at] datetime2(6) null, [_lake_path] nvarchar(1024) null",
        engine,
    )


def malformed_ddl(engine: Engine) -> str:
    return _create(
        "malformed_records",
        "[_table] nvarchar(128) null, "
        "[_source_file] nvarchar(255) null, [_source_row] bigint null, "
        "[_load_id] varchar(32) null, [_loaded_at] datetime2(6) null, "
        "[_lake_path] nvarchar(1024) null, "
        f"[record_key] nvarchar({FIELD_LIMIT}) null, "
        f"[record_text] nvarchar({FIELD_LIMIT}) null, "
        "[error] nvarchar(1024) null",
        engine,
    )


def loads_ddl(engine: Engine) -> str:
    # Synapse has no enforced primary key; the loader is the ledger's only writer.
    key = "" if engine == "synapse" else ", primary key (table_name, load_id, source_file)"
    return _create(
        "_loads",
        "[table_name] nvarchar(128) not null, "
        "[load_id] varchar(32) not null, [source_file] nvarchar(255) not null, "
        "[lake_path] nvarchar(1024) null, [sha256] char(64) null, "
        "[records] bigint null, [malformed] bigint null, "
        "[loaded_at] datetime2(6) null, [physical_lines] bigint null, "
        f"[other_lines] bigint null{key}",
        engine,
    )


# A ledger made before the line counts existed gains them (NULL for its earlier rows).
# sys.columns, not COL_LENGTH: Synapse dedicated pools have no COL_LENGTH.
LOADS_UPGRADE = (
    "if not exists (select 1 from sys.columns where object_id = object_id(N'raw._loads') "
    "and name = N'physical_lines') "
    "alter table raw.[_loads] add [physical_lines] bigint null, [other_lines] bigint null"
)


def schema_statements(engine: Engine) -> list[str]:
    """Idempotent DDL: the four schemas and the raw tables (run in autocommit mode)."""
    out = [f"if schema_id(N'{s}') is null exec(N'create schema {q(s)}')" for s in SCHEMAS]
    out += [raw_table_ddl(e, engine) for e in EXTRACTS]
    out += [malformed_ddl(engine), loads_ddl(engine), LOADS_UPGRADE]
    return out


def insert_sql(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" for _ in columns)
    return f"insert into raw.{q(table)} ({', '.join(q(c) for c in columns)}) values ({marks})"


# --- field values ------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as nvarchar counts it: UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _cut(text: str, limit: int) -> str:
    out, n = [], 0
    for ch in text:
        n += 2 if ord(ch) > 0xFFFF else 1
        if n > limit:
            break
        out.append(ch)
    return "".join(out)


def fit(value: str | None) -> str | None:
    """A field as raw holds it: empty is NULL; longer than :data:`FIELD_LIMIT`, trimmed,
    then cut (see the module docstring: the record's fate does not change)."""
    if value is None or value == "":
        return None
    if utf16_len(value) <= FIELD_LIMIT:
        return value
    trimmed = value.strip()
    return trimmed if utf16_len(trimmed) <= FIELD_LIMIT else _cut(trimmed, FIELD_LIMIT)


def malformed_row(
    extract: Extract, lf: LandedFile, m: Malformed, loaded_at: datetime
) -> tuple[Any, ...]:
    """A ``raw.malformed_records`` row, the text cut to fit and the error saying so."""
    text, error = m.text, m.error
    if utf16_len(text) > FIELD_LIMIT:
        error = f"{error} (record text cut to {FIELD_LIMIT} of {utf16_len(text)} characters)"
        text = _cut(text, FIELD_LIMIT)
    key = _cut(m.key, FIELD_LIMIT) if m.key is not None else None
    return (extract.table, lf.file, m.row, lf.load_id, loaded_at, lf.path, key, text, error)


def _check_load_id(lf: LandedFile) -> None:
    if not LOAD_ID.fullmatch(lf.load_id):
        raise LoaderError(
            f"{lf.path}: load id {lf.load_id!r} is not a loader load id "
            "(YYYYMMDDTHHMMSSffffffZ): remove the folder from the lake"
        )


# --- the lake's https URLs (COPY INTO reads https) ---------------------------------------


def https_url(container_url: str, prefix: str, path: str) -> str:
    """The https URL of ``path`` inside a lake whose container is at ``container_url``
    (``https://<account>.blob.core.windows.net/<container>``, any SAS query dropped)
    under ``prefix`` (empty or ending with ``/``)."""
    parts = urlsplit(container_url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    url = f"{base}/{quote(prefix + path, safe='/')}"
    if not SAFE_URL.fullmatch(url):
        raise LoaderError(
            f"the lake's URL {url!r} cannot be read by COPY INTO: expected "
            "https://<account>.blob.core.windows.net/<container>/<path>"
        )
    return url


def lake_https_url(lake: Lake, path: str) -> str:
    """The https URL of ``path`` in an Azure lake; a local lake has none."""
    container = getattr(lake, "container", None)
    prefix = getattr(lake, "prefix", None)
    if container is None or prefix is None or not hasattr(container, "url"):
        raise LoaderError(
            f"Synapse loads the raw tables with COPY INTO from the lake, and the lake at "
            f"{lake.url} is a local folder: set C360_LAKE (or --lake) to "
            "az://<container>/<prefix> in the storage account the SQL pool can read"
        )
    return https_url(str(container.url), str(prefix), path)


# --- connection settings -----------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to connect, from ``SQLSERVER_*`` or ``SYNAPSE_*`` variables (the same
    ones ``profiles.yml`` reads, so the loader and dbt reach the same database)."""

    engine: Engine
    host: str
    database: str
    port: int = 1433
    authentication: str = "sql"
    user: str | None = None
    password: str | None = None
    driver: str = "ODBC Driver 18 for SQL Server"
    encrypt: bool = True
    trust_cert: bool = False
    copy_credential: str = "managed_identity"  # Synapse COPY INTO: managed_identity | sas
    copy_sas_token: str | None = None

    @classmethod
    def from_env(
        cls, engine: Engine, environ: Mapping[str, str] | None = None
    ) -> ConnectionSettings:
        env = os.environ if environ is None else environ
        p = "SQLSERVER_" if engine == "sqlserver" else "SYNAPSE_"

        def get(name: str, default: str | None = None) -> str | None:
            value = env.get(p + name, "").strip()
            return value or default

        missing = [p + n for n in ("HOST", "DATABASE") if not get(n)]
        if missing:
            raise LoaderError(
                f"--target {engine}: set {' and '.join(missing)} (see "
                "profiles.example.yml and docs/azure-warehouse.md)"
            )
        port = get("PORT", "1433") or "1433"
        if not port.isdigit():
            raise LoaderError(f"{p}PORT={port!r}: expected a port number such as 1433")
        credential = (get("COPY_CREDENTIAL", "managed_identity") or "").lower().replace("-", "_")
        if credential not in ("managed_identity", "sas"):
            raise LoaderError(
                f"{p}COPY_CREDENTIAL={credential!r}: expected managed_identity or sas"
            )
        s = cls(
            engine=engine,
            host=get("HOST") or "",
            database=get("DATABASE") or "",
            port=int(port),
            authentication=get("AUTHENTICATION", "sql") or "sql",
            user=get("USER"),
            password=get("PASSWORD"),
            driver=get("DRIVER", "ODBC Driver 18 for SQL Server") or "",
            encrypt=(get("ENCRYPT", "true") or "").lower() not in ("false", "no", "0"),
            trust_cert=(get("TRUST_CERT", "false") or "").lower() in ("true", "yes", "1"),
            copy_credential=credential,
            copy_sas_token=get("COPY_SAS_TOKEN"),
        )
        if engine == "synapse" and credential == "sas" and not s.copy_sas_token:
            raise LoaderError(
                "SYNAPSE_COPY_CREDENTIAL=sas: set SYNAPSE_COPY_SAS_TOKEN to a SAS "
                "token with read, list and write on the lake's container"
            )
        auth = s.auth_key
        if auth not in TOKEN_AUTH and auth not in DRIVER_AUTH and auth != "sql":
            raise LoaderError(
                f"{p}AUTHENTICATION={s.authentication!r}: expected sql, auto, cli, environment, "
                "msi (ActiveDirectoryMsi), ActiveDirectoryDefault, ActiveDirectoryPassword, "
                "ActiveDirectoryInteractive, ActiveDirectoryIntegrated or "
                "ActiveDirectoryServicePrincipal"
            )
        if auth in ("sql", "activedirectorypassword") and not (s.user and s.password):
            raise LoaderError(
                f"{p}AUTHENTICATION={s.authentication}: set {p}USER and "
                f"{p}PASSWORD, or use an Entra ID method such as auto or msi"
            )
        return s

    @property
    def auth_key(self) -> str:
        return self.authentication.replace("_", "").replace(" ", "").lower()

    @property
    def description(self) -> str:
        """For messages: never the password."""
        return (
            f"{ENGINE_NAMES[self.engine]} database {self.database} on "
            f"{self.host}:{self.port} ({self.authentication} authentication)"
        )

    def connection_string(self) -> str:
        """The ODBC connection string; token methods add no credential here (the token
        goes in ``attrs_before``)."""

        def v(text: str) -> str:  # ODBC value quoting: braces, a closing brace doubled
            return "{" + text.replace("}", "}}") + "}"

        parts = [
            f"DRIVER={v(self.driver)}",
            f"SERVER={v(f'tcp:{self.host},{self.port}')}",
            f"DATABASE={v(self.database)}",
            f"Encrypt={'yes' if self.encrypt else 'no'}",
            f"TrustServerCertificate={'yes' if self.trust_cert else 'no'}",
            "APP={customer360-loader}",
        ]
        auth = self.auth_key
        if auth in DRIVER_AUTH:
            parts.append(f"Authentication={DRIVER_AUTH[auth]}")
        if (
            auth
            in (
                "sql",
                "activedirectorypassword",
                "activedirectoryserviceprincipal",
                "serviceprincipal",
                "activedirectoryinteractive",
            )
            and self.user
        ):
            parts.append(f"UID={v(self.user)}")
            if self.password and auth != "activedirectoryinteractive":
                parts.append(f"PWD={v(self.password)}")
        return ";".join(parts)


def access_token_attrs(
    settings: ConnectionSettings, credential_factory: Callable[[str], Any] | None = None
) -> dict[int, bytes]:
    """``attrs_before`` for Entra ID token methods: the token as msodbcsql expects it."""
    if settings.auth_key not in TOKEN_AUTH:
        return {}
    if credential_factory is None:

        def credential_factory(key: str) -> Any:
            import azure.identity as ai

            if key == "cli":
                return ai.AzureCliCredential()
            if key == "environment":
                return ai.EnvironmentCredential()
            if key in ("msi", "activedirectorymsi"):
                return ai.ManagedIdentityCredential()
            return ai.DefaultAzureCredential()

    try:
        token = credential_factory(settings.auth_key).get_token(TOKEN_SCOPE).token
    except Exception as e:  # azure-identity raises several types; the message says which
        raise LoaderError(
            f"cannot get an Entra ID token for {settings.description}: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from e
    raw = token.encode("utf-16-le")
    return {SQL_COPT_SS_ACCESS_TOKEN: struct.pack("<i", len(raw)) + raw}


def pyodbc_connect(settings: ConnectionSettings) -> Any:
    """Open a pyodbc connection in autocommit mode (see the module docstring)."""
    try:
        import pyodbc
    except ImportError as e:
        raise LoaderError(
            f"pyodbc cannot load ({e}): install unixODBC (Debian: apt-get "
            "install unixodbc) and Microsoft's ODBC Driver 18 for SQL Server"
        ) from e
    if settings.driver not in pyodbc.drivers():
        raise LoaderError(
            f"the ODBC driver {settings.driver!r} is not installed (found: "
            f"{', '.join(pyodbc.drivers()) or 'none'}): install Microsoft's "
            "ODBC Driver 18 for SQL Server, or set the *_DRIVER variable"
        )
    try:
        return pyodbc.connect(
            settings.connection_string(),
            autocommit=True,
            timeout=30,
            attrs_before=access_token_attrs(settings) or None,
        )
    except pyodbc.Error as e:
        raise LoaderError(f"cannot connect to {settings.description}: {_db_message(e)}") from e


def _db_message(e: BaseException) -> str:
    args = getattr(e, "args", ())
    text = str(args[-1]) if args else str(e)
    return (text or type(e).__name__).splitlines()[0][:500]


# --- normalized files (Synapse) ----------------------------------------------------------


def write_copy_files(
    path: Path,
    extract: Extract,
    lf: LandedFile,
    loaded_at: datetime,
    records_out: Path,
    malformed_out: Path,
    progress: Callable[[int], None] | None = None,
    tally: LineTally | None = None,
) -> tuple[int, int]:
    """Split the landed file; write the good records (raw table's columns, header first)
    to ``records_out`` and the malformed ones to ``malformed_out``. Returns the counts."""
    stamp = loaded_at.isoformat(sep=" ", timespec="microseconds")
    good = bad = 0
    where = f"{lf.file} (lake: {lf.path})"
    with (
        open(records_out, "w", encoding="utf-8", newline="") as fr,
        open(malformed_out, "w", encoding="utf-8", newline="") as fm,
    ):
        wr = csv.writer(fr, lineterminator="\n")
        wm = csv.writer(fm, lineterminator="\n")
        wr.writerow(raw_columns(extract))
        wm.writerow(MALFORMED_COLUMNS)
        for row_no, rec in split_records(path, extract, where, tally):
            if isinstance(rec, Malformed):
                r = malformed_row(extract, lf, rec, loaded_at)
                wm.writerow([*r[:4], stamp, *r[5:]])
                bad += 1
            else:
                wr.writerow([fit(v) for v in rec] + [lf.file, row_no, lf.load_id, stamp, lf.path])
                good += 1
            if progress and (good + bad) % 500_000 == 0:
                progress(good + bad)
    return good, bad


def container_path(url: str) -> str:
    """The path of an https URL of the lake relative to its container
    (``https://<account>.blob.core.windows.net/<container>/a/b/`` -> ``/a/b/``): how
    COPY INTO's ERRORFILE names a folder in the container it reads from, with no
    ERRORFILE_CREDENTIAL."""
    parts = urlsplit(url).path.split("/")
    if len(parts) < 3 or not parts[2]:
        raise LoaderError(f"{url!r}: expected https://<account>/<container>/<path>")
    return "/" + unquote("/".join(parts[2:]))


def copy_into_sql(
    table: str, columns: Sequence[str], url: str, error_url: str, settings: ConnectionSettings
) -> str:
    """``COPY INTO raw.<table>`` of a normalized file (no parameters: COPY takes none).

    The error file goes to ``error_url``'s folder, named relative to the container, so
    that COPY writes it with ``CREDENTIAL`` (no ``ERRORFILE_CREDENTIAL``: see the module
    docstring); dates are read ``ymd`` whatever the session's settings."""
    if settings.copy_credential == "sas":
        cred = (
            "(IDENTITY = 'Shared Access Signature', SECRET = "
            f"{literal((settings.copy_sas_token or '').lstrip('?'))})"
        )
    else:
        cred = "(IDENTITY = 'Managed Identity')"
    return (
        f"copy into raw.{q(table)} ({', '.join(q(c) for c in columns)}) "
        f"from {literal(url)} with (FILE_TYPE = 'CSV', CREDENTIAL = {cred}, "
        "FIELDQUOTE = '\"', FIELDTERMINATOR = ',', ROWTERMINATOR = '0x0A', FIRSTROW = 2, "
        "DATEFORMAT = 'ymd', ENCODING = 'UTF8', MAXERRORS = 0, "
        f"ERRORFILE = {literal(container_path(error_url))})"
    )


# --- the warehouse -----------------------------------------------------------------------


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for r in rows:
        chunk.append(r)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class TsqlWarehouse:
    """The raw layer in SQL Server / Azure SQL or a Synapse dedicated SQL pool.

    ``connect`` opens a DB-API connection (default: pyodbc from ``settings``); tests
    pass one that records every statement. ``url_for`` maps a path in the lake to its
    https URL (default: :func:`lake_https_url`), for Synapse's COPY INTO.
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        connect: Callable[[ConnectionSettings], Any] | None = None,
        url_for: Callable[[Lake, str], str] | None = None,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        self.settings = settings
        self.engine: Engine = settings.engine
        self._connect = connect or pyodbc_connect
        self._url_for = url_for or lake_https_url
        self.chunk_rows = chunk_rows

    @classmethod
    def from_env(cls, engine: Engine, **kw: Any) -> TsqlWarehouse:
        return cls(ConnectionSettings.from_env(engine), **kw)

    @property
    def description(self) -> str:
        return self.settings.description

    def ensure_schema(self, cur: Any) -> None:
        for sql in schema_statements(self.engine):
            cur.execute(sql)

    def loaded(self, cur: Any) -> set[tuple[str, str, str]]:
        cur.execute("select table_name, load_id, source_file from raw._loads")
        return {(str(a), str(b), str(c)) for a, b, c in cur.fetchall()}

    def sync(
        self,
        lake: Lake,
        *,
        on_file: FileProgress | None = None,
        on_done: Callable[[TableLoad], None] | None = None,
        on_quarantine: Callable[[LandedFile, str], None] | None = None,
    ) -> list[TableLoad]:
        """Load every landed file not yet in ``raw._loads``, one transaction a file.

        A landed file that cannot be loaded (gone, its bytes no longer those of its
        manifest, unreadable) has its transaction rolled back, so it leaves nothing, and
        is quarantined in the lake with its reason (``on_quarantine`` is told); the sync
        goes on with the next file, as :meth:`loader.warehouse.DuckDBWarehouse.sync`
        does."""
        con = self._connect(self.settings)
        where = self.description
        try:
            cur = con.cursor()
            try:
                if self.engine == "sqlserver":
                    cur.execute("set xact_abort on")
                self.ensure_schema(cur)
                done = self.loaded(cur)
            except LoaderError:
                raise
            except Exception as e:
                raise LoaderError(
                    f"{where}: cannot prepare the raw schema: {_db_message(e)}"
                ) from e
            pending = pending_files(lake, done)
            loaded_at = datetime.now(UTC).replace(tzinfo=None)
            committed = 0
            try:
                with tempfile.TemporaryDirectory(prefix="c360-tsql-") as tmp:

                    def load_file(extract: Extract, lf: LandedFile) -> tuple[int, int] | None:
                        nonlocal where, committed
                        where = f"{lf.file} (lake: {lf.path})"
                        _check_load_id(lf)
                        cur.execute("begin transaction")
                        self._forget(cur, extract, lf)
                        try:
                            with landed_file_errors(lf):
                                check_local_file(lake, lf)
                            if self.engine == "synapse":
                                counts = self._copy_file(
                                    cur, lake, extract, lf, loaded_at, Path(tmp), on_file
                                )
                            else:
                                counts = self._insert_file(
                                    cur, lake, extract, lf, loaded_at, on_file
                                )
                        except BadLandedFile as e:
                            cur.execute("if @@trancount > 0 rollback transaction")
                            lake.quarantine(e.landed, e.reason)
                            if on_quarantine:
                                on_quarantine(e.landed, e.reason)
                            return None  # not loaded: load_pending goes on
                        cur.execute("commit transaction")
                        committed += 1
                        return counts

                    results = load_pending(pending, load_file, on_done=on_done)
            except BaseException as e:
                try:
                    cur.execute("if @@trancount > 0 rollback transaction")
                except Exception:  # the connection may be gone: closing it rolls back
                    pass
                if isinstance(e, Exception) and not isinstance(e, LoaderError):
                    raise LoaderError(
                        f"{where}: this file's load was rolled back and left nothing "
                        f"({committed} file(s) loaded before it are committed, in raw._loads; "
                        f"bootstrap again loads the rest): {_db_message(e)}"
                    ) from e
                raise
            return results
        finally:
            con.close()

    @staticmethod
    def _forget(cur: Any, extract: Extract, lf: LandedFile) -> None:
        """Delete what a failed earlier attempt may have left of a file not in the ledger
        (nothing, when every transaction was atomic): its rows never counted."""
        cur.execute(
            f"delete from raw.{q(extract.table)} where [_load_id] = ? and [_source_file] = ?",
            [lf.load_id, lf.file],
        )
        cur.execute(
            "delete from raw.[malformed_records] where [_table] = ? and [_load_id] = ? "
            "and [_source_file] = ?",
            [extract.table, lf.load_id, lf.file],
        )

    def _ledger(
        self,
        cur: Any,
        extract: Extract,
        lf: LandedFile,
        records: int,
        bad: int,
        loaded_at: datetime,
        lines: int,
        tally: LineTally,
    ) -> None:
        cur.execute(
            insert_sql("_loads", LOADS_COLUMNS),
            [
                *(extract.table, lf.load_id, lf.file, lf.path, lf.sha256, records, bad),
                *(loaded_at, lines, tally.other),
            ],
        )

    def _insert_file(
        self,
        cur: Any,
        lake: Lake,
        extract: Extract,
        lf: LandedFile,
        loaded_at: datetime,
        on_file: FileProgress | None,
    ) -> tuple[int, int]:
        """SQL Server: parameterized inserts in chunks, parameter arrays on the wire."""
        malformed: list[Malformed] = []
        counted = [0]
        tally = LineTally()

        def good_rows(path: Path) -> Iterator[tuple[Any, ...]]:
            where = f"{lf.file} (lake: {lf.path})"
            for row_no, rec in split_records(path, extract, where, tally):
                if isinstance(rec, Malformed):
                    malformed.append(rec)
                    continue
                counted[0] += 1
                yield (*(fit(v) for v in rec), lf.file, row_no, lf.load_id, loaded_at, lf.path)

        sql = insert_sql(extract.table, raw_columns(extract))
        with landed_file_errors(lf), lake.local_copy(lf) as path:
            cur.fast_executemany = True
            for chunk in _chunks(good_rows(path), self.chunk_rows):
                cur.executemany(sql, chunk)
                if on_file:
                    on_file(lf, counted[0] + len(malformed))
            lines = count_lines(path)
        if malformed:
            cur.executemany(
                insert_sql("malformed_records", MALFORMED_COLUMNS),
                [malformed_row(extract, lf, m, loaded_at) for m in malformed],
            )
        records = counted[0] + len(malformed)
        self._ledger(cur, extract, lf, records, len(malformed), loaded_at, lines, tally)
        if on_file:
            on_file(lf, records)
        return records, len(malformed)

    def _copy_file(
        self,
        cur: Any,
        lake: Lake,
        extract: Extract,
        lf: LandedFile,
        loaded_at: datetime,
        tmp: Path,
        on_file: FileProgress | None,
    ) -> tuple[int, int]:
        """Synapse: normalized files to the lake, then COPY INTO from them."""
        recs_path = tmp / f"{extract.table}-{lf.load_id}.csv"
        bad_path = tmp / f"{extract.table}-{lf.load_id}-malformed.csv"
        tally = LineTally()
        with landed_file_errors(lf), lake.local_copy(lf) as path:
            good, bad = write_copy_files(
                path,
                extract,
                lf,
                loaded_at,
                recs_path,
                bad_path,
                progress=(lambda n: on_file(lf, n)) if on_file else None,
                tally=tally,
            )
            lines = count_lines(path)
        norm_table = f"{NORMALIZED}/{extract.table}"
        error_url = self._url_for(lake, f"{REJECTED}/{extract.table}/{lf.load_id}/")
        if good:
            landed = lake.land(norm_table, lf.load_id, recs_path, digest(recs_path), name=lf.file)
            cur.execute(
                copy_into_sql(
                    extract.table,
                    raw_columns(extract),
                    self._url_for(lake, landed.path),
                    error_url,
                    self.settings,
                )
            )
            self._check_rows(cur, good, lf, extract.table)
        if bad:
            landed = lake.land(
                f"{NORMALIZED}/malformed_records/{extract.table}",
                lf.load_id,
                bad_path,
                digest(bad_path),
                name=lf.file,
            )
            cur.execute(
                copy_into_sql(
                    "malformed_records",
                    MALFORMED_COLUMNS,
                    self._url_for(lake, landed.path),
                    error_url,
                    self.settings,
                )
            )
            self._check_rows(cur, bad, lf, "malformed_records")
        self._ledger(cur, extract, lf, good + bad, bad, loaded_at, lines, tally)
        recs_path.unlink()
        bad_path.unlink()
        if on_file:
            on_file(lf, good + bad)
        return good + bad, bad

    @staticmethod
    def _check_rows(cur: Any, expected: int, lf: LandedFile, table: str) -> None:
        """COPY INTO reports the rows it loaded; any other number fails the load."""
        n = getattr(cur, "rowcount", -1)
        if n is not None and n >= 0 and n != expected:
            raise LoaderError(
                f"{lf.file} (lake: {lf.path}): COPY INTO raw.{table} loaded {n} "
                f"rows where the file holds {expected}"
            )
