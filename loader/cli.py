"""The command line: ``python -m loader <command>``.

Configuration comes from flags first, then environment variables, then defaults.
Errors a user can act on are printed as one line, without a traceback (``--debug``
shows it), and the exit status is non-zero.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from loader import __version__
from loader.errors import LoaderError

DEFAULT_SOURCE = "data/sample"
DEFAULT_LAKE = "lake"
DEFAULT_DUCKDB = "warehouse/customer360.duckdb"
DEFAULT_REPORT = "reports/customer360.html"
DEFAULT_TARGET = "duckdb"
TARGETS = ("duckdb", "sqlserver", "synapse")

DESCRIPTION = """\
Customer 360 loader: lands the retailer's nine CSV extracts in the lake (bronze)
and loads them into the warehouse's raw tables, ready for `dbt build`.

Typical use, from the repository root:
  python -m loader bootstrap            land and load data/sample/
  dbt build                             build silver, audit and gold, and test them
  dbt docs generate && dbt docs serve   browse the lineage
"""

ENVIRONMENT = """\
environment:
  C360_LAKE         where bronze files land: a folder (default: lake) or
                    az://<container>/<prefix> for Azure Blob Storage / ADLS Gen2
  C360_DUCKDB_PATH  the DuckDB file of the raw tables and of dbt's default target
                    (default: warehouse/customer360.duckdb)
  C360_TARGET       the warehouse bootstrap loads: duckdb (default), sqlserver or
                    synapse; the last two read SQLSERVER_* / SYNAPSE_* like dbt's
                    profiles.yml (see profiles.example.yml, docs/azure-warehouse.md)
"""


def _settings_lake(args: argparse.Namespace) -> str:
    return args.lake or os.environ.get("C360_LAKE") or DEFAULT_LAKE


def _settings_duckdb(args: argparse.Namespace) -> Path:
    path = args.duckdb or os.environ.get("C360_DUCKDB_PATH") or DEFAULT_DUCKDB
    if "'" in path:
        # dbt-duckdb writes the file's catalog name into SQL without escaping it.
        raise LoaderError(
            f"the DuckDB path {path} (--duckdb or C360_DUCKDB_PATH) contains a single "
            "quote ('), which dbt-duckdb puts into SQL unescaped, so dbt build would fail "
            "on it: choose a path without '"
        )
    return Path(path)


def _settings_target(args: argparse.Namespace) -> str:
    target = (
        (getattr(args, "target", None) or os.environ.get("C360_TARGET") or DEFAULT_TARGET)
        .strip()
        .lower()
    )
    if target not in TARGETS:
        raise LoaderError(
            f"target {target!r} (from --target or C360_TARGET): expected one of "
            f"{', '.join(TARGETS)}"
        )
    return target


class Console:
    """Progress on a terminal (stderr), quiet otherwise; summaries on stdout."""

    def __init__(self, quiet: bool = False) -> None:
        self.tty = sys.stderr.isatty() and not quiet
        self.quiet = quiet

    def progress(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()

    def line(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        if not self.quiet:
            print(text, flush=True)

    def warn(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
        print(f"warning: {text}", file=sys.stderr, flush=True)


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from loader.bootstrap import validate_source
    from loader.lake import file_lock, lock_timeout
    from loader.lakes import open_lake
    from loader.records import shown
    from loader.warehouse import DuckDBWarehouse

    out = Console(args.quiet)
    source = Path(args.source)
    target = _settings_target(args)
    lake = open_lake(_settings_lake(args))
    if target == "duckdb":
        warehouse = DuckDBWarehouse(_settings_duckdb(args))
        where = str(warehouse.path)
    else:
        from loader.tsql_warehouse import TsqlWarehouse

        warehouse = TsqlWarehouse.from_env(target)  # type: ignore[assignment]
        where = warehouse.description

    files = validate_source(source)
    for sf in files:
        if sf.header.extra:
            extra = ", ".join(shown(name) for name in dict.fromkeys(sf.header.extra))
            out.warn(
                f"{shown(sf.path.name)}: column(s) {extra} are not in the contract and are ignored"
            )
    # One load at a time over the lake and the warehouse: the lake's lock (a lock file,
    # or a blob lease on Azure), then, for DuckDB, a lock file beside the warehouse.
    timeout = lock_timeout()

    def waiting(busy: str) -> None:
        out.warn(f"{busy}: waiting for it to end (up to {timeout:g}s, C360_LOCK_TIMEOUT)")

    with ExitStack() as held:
        held.enter_context(lake.lock(timeout, waiting))
        if target == "duckdb":
            held.enter_context(
                file_lock(warehouse_lock_path(warehouse.path), where, timeout, waiting)
            )
        return _bootstrap_locked(out, source, files, lake, warehouse, where)


def warehouse_lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _bootstrap_locked(out, source, files, lake, warehouse, where) -> int:
    from loader.bootstrap import land_source

    def on_quarantine(lf, reason):
        out.warn(
            f"{lf.path} quarantined: {reason}; later loads go on without it "
            "(python -m loader status lists it)"
        )

    for path in lake.clean_interrupted():
        out.line(f"removed what an interrupted landing left in the lake: {path}")
    if hasattr(warehouse, "check_landed"):  # before landing: see DuckDBWarehouse.check_landed
        warehouse.check_landed(lake, on_quarantine)
    out.line(f"landing {source} in the lake at {lake.url}")

    def on_land(sf, dig, new):
        state = "landed" if new else "unchanged, already in the lake"
        out.line(f"  {sf.extract.file:<36} {dig.bytes:>14,} bytes  {state}")

    def on_bytes(sf, done, total):
        out.progress(f"  {sf.extract.file}: {done:,} of {total:,} bytes")

    land_source(files, lake, on_file=on_land, on_bytes=on_bytes)

    out.line(f"loading raw tables into {where}")

    def on_file(lf, n):
        out.progress(f"  {lf.table}: {lf.path}: {n:,} records")

    t0 = time.perf_counter()
    if on_quarantine_supported(warehouse):
        results = warehouse.sync(lake, on_file=on_file, on_quarantine=on_quarantine)
    else:
        results = warehouse.sync(lake, on_file=on_file)
    out.line("")
    out.line(f"{'raw table':<34} {'files':>5} {'records':>12} {'malformed':>10} {'seconds':>8}")
    for r in results:
        out.line(
            f"raw.{r.table:<30} {r.files:>5} {r.records:>12,} {r.malformed:>10,} {r.seconds:>8.2f}"
        )
    total = sum(r.records for r in results)
    out.line(
        f"loaded {total:,} new records in {time.perf_counter() - t0:.1f}s"
        if total
        else "raw tables already hold every landed file: nothing new to load"
    )
    return 0


def on_quarantine_supported(warehouse) -> bool:
    import inspect

    return "on_quarantine" in inspect.signature(warehouse.sync).parameters


def cmd_generate(args: argparse.Namespace) -> int:
    from loader.generate import generate_source

    out = Console(args.quiet)
    t0 = time.perf_counter()
    counts = generate_source(
        Path(args.out),
        scale=args.scale,
        seed=args.seed,
        progress=lambda name, n: out.progress(f"  {name}: {n:,} records"),
    )
    for name, n in counts.items():
        out.line(f"  {name:<36} {n:>12,} records")
    out.line(
        f"wrote {sum(counts.values()):,} records to {args.out} in {time.perf_counter() - t0:.1f}s"
    )
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    from loader.lake import lock_timeout
    from loader.lakes import open_lake
    from loader.warehouse import DuckDBWarehouse

    lake = open_lake(_settings_lake(args))
    warehouse = DuckDBWarehouse(_settings_duckdb(args))
    why_not = lake.not_a_lake()
    if why_not:
        raise LoaderError(
            f"{lake.url} does not look like a lake ({why_not}): reset deletes nothing; "
            "check C360_LAKE or --lake"
        )
    if not args.yes:
        raise LoaderError(
            f"reset deletes every file of the lake at {lake.url} and the "
            f"warehouse {warehouse.path}: run again with --yes to do it"
        )
    warehouse.refuse_other_files()  # before anything is deleted
    with lake.lock(lock_timeout()):
        lake.reset()
        had_warehouse = warehouse.path.exists()
        warehouse.reset()
        warehouse_lock_path(warehouse.path).unlink(missing_ok=True)
    print(
        f"emptied the lake at {lake.url} and "
        + (
            f"deleted {warehouse.path}"
            if had_warehouse
            else f"found no warehouse at {warehouse.path}"
        )
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from loader.status import status

    lake_url = _settings_lake(args)
    db = _settings_duckdb(args)
    for line in status(lake_url, db):
        print(line)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from loader.status import verify

    bad = verify(_settings_lake(args), Console(args.quiet))
    return 1 if bad else 0


def cmd_report(args: argparse.Namespace) -> int:
    from loader.report import write_report

    out = Console(args.quiet)
    target = Path(args.out)
    t0 = time.perf_counter()
    d = write_report(_settings_duckdb(args), target)
    out.line(
        f"wrote the dashboard {target} ({target.stat().st_size / 1e6:.1f} MB) from "
        f"{d.warehouse} in {time.perf_counter() - t0:.1f}s"
    )
    out.line(f"  {d.customers:,} customers; transactions: {d.readings['All'].sentence}")
    out.line(f"open it in a browser: {target.resolve().as_uri()}")
    return 0


def _dbt_target(dbt_args: list[str]) -> str:
    """The dbt target a dbt command line runs on: --target/-t, else DBT_TARGET, else
    profiles.yml's default (duckdb)."""
    for i, a in enumerate(dbt_args):
        if a in ("--target", "-t") and i + 1 < len(dbt_args):
            return dbt_args[i + 1]
        if a.startswith("--target="):
            return a.split("=", 1)[1]
    return os.environ.get("DBT_TARGET") or "duckdb"


def cmd_dbt(args: argparse.Namespace) -> int:
    """Run dbt with the given arguments, once no other process holds the DuckDB warehouse
    (dbt-duckdb would stop on the lock with a long traceback)."""
    import subprocess

    from loader.warehouse import held_by_another_process

    dbt_args = [a for a in args.dbt_args if a != "--"] or ["build"]
    if _dbt_target(dbt_args) == "duckdb":
        db = _settings_duckdb(args)
        deadline = time.monotonic() + args.wait
        while (held := held_by_another_process(db)) is not None:
            if time.monotonic() >= deadline:
                raise LoaderError(
                    f"the warehouse {db} is in use by another process (a bootstrap "
                    f"loading it?), so dbt cannot open it: run dbt again once that is "
                    f"done, or wait for it with --wait SECONDS ({held})"
                )
            time.sleep(1)
    dbt = Path(sys.executable).with_name("dbt")
    env = {**os.environ, "C360_DUCKDB_PATH": str(_settings_duckdb(args))}
    return subprocess.run([str(dbt) if dbt.exists() else "dbt", *dbt_args], env=env).returncode


def cmd_where(args: argparse.Namespace) -> int:
    db = _settings_duckdb(args)
    print(f"The warehouse is the DuckDB file {db.resolve()}")
    print(f"The lake (bronze files) is at {_settings_lake(args)}")
    print("Next:")
    print(
        "  .venv/bin/python -m loader report                 the dashboard, "
        "reports/customer360.html"
    )
    print("  .venv/bin/dbt docs generate && .venv/bin/dbt docs serve   browse the lineage")
    print(
        f"  .venv/bin/python -c \"import duckdb; duckdb.connect('{db}', read_only=True)"
        ".sql('select * from gold.customer_360').show()\"   query a gold relation"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loader",
        description=DESCRIPTION,
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--debug", action="store_true", help="show a traceback on error")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--lake",
            metavar="URL",
            help="the lake: a folder or az://<container>/<prefix> "
            f"(default: $C360_LAKE, else {DEFAULT_LAKE})",
        )
        sp.add_argument(
            "--duckdb",
            metavar="PATH",
            help=f"the DuckDB file (default: $C360_DUCKDB_PATH, else {DEFAULT_DUCKDB})",
        )
        sp.add_argument("--quiet", action="store_true", help="print errors only")
        sp.add_argument("--debug", action="store_true", help="show a traceback on error")

    b = sub.add_parser(
        "bootstrap",
        help="land a source folder's nine extracts and load the raw tables",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Validate a source folder against the contract, land each file in the lake and load
the raw tables from the lake.

The folder must hold the nine extracts (Customers.csv, Products.csv, Stores.csv,
Agents.csv, OnlineTransactions.csv, InStoreTransactions.csv,
CustomerServiceInteractions.csv, LoyaltyAccounts.csv, LoyaltyTransactions.csv), each
with its required columns (any order, any case). A missing file or column stops the
command before anything changes, naming the file and the column. A column the
contract does not know is reported and ignored.

Every byte of every file is checked before anything lands (UTF-8 throughout, no
line over 2,000,000 bytes); a refusal names the file, the line and the byte.

Each file lands as <table>/<load id>/<File>.csv; a file whose bytes equal the latest
landed file of its table is not landed again. The raw tables then load every landed
file not loaded yet, all in one transaction: a failure part-way leaves them as they
were. A landed file that cannot be loaded is quarantined with its reason and the
others load (see `status`). Records that cannot be split into the header's columns go
to raw.malformed_records, kept for the audit.

One bootstrap runs at a time over a lake and a warehouse: another one waits for it,
saying so, up to C360_LOCK_TIMEOUT seconds (default 600).""",
        epilog=ENVIRONMENT,
    )
    b.add_argument(
        "--source",
        default=DEFAULT_SOURCE,
        metavar="DIR",
        help=f"the folder of the nine CSV files (default: {DEFAULT_SOURCE})",
    )
    b.add_argument(
        "--target",
        choices=TARGETS,
        metavar="|".join(TARGETS),
        help="the warehouse to load: duckdb (the file of --duckdb), sqlserver "
        "(SQL Server / Azure SQL, SQLSERVER_* variables) or synapse "
        "(dedicated SQL pool, SYNAPSE_* variables; COPY INTO from an az:// "
        f"lake) (default: $C360_TARGET, else {DEFAULT_TARGET})",
    )
    common(b)
    b.set_defaults(func=cmd_bootstrap)

    g = sub.add_parser(
        "generate",
        help="write a synthetic source folder that follows the contract",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Write the nine extracts with the seed's value domains and realistic dirt (empty and
non-numeric keys, duplicates carrying later updates, orphans, unparseable values,
quoted commas, quotes and line breaks, a byte-order mark, CRLF line ends, malformed
lines). Deterministic for a seed. Scale 1 is the seed's size (about 100 customers);
the scale multiplies every table. Rows stream to disk in bounded memory.""",
    )
    g.add_argument("--out", required=True, metavar="DIR", help="the folder to write")
    g.add_argument(
        "--scale",
        type=float,
        default=1.0,
        metavar="N",
        help="size relative to the seed (default: 1)",
    )
    g.add_argument("--seed", type=int, default=42, metavar="S", help="random seed (default: 42)")
    g.add_argument("--quiet", action="store_true", help="print errors only")
    g.add_argument("--debug", action="store_true", help="show a traceback on error")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser(
        "reset",
        help="start over: empty the lake and delete the warehouse",
        description="Delete every file of the lake and the DuckDB warehouse file, so that "
        "the next bootstrap starts from nothing. Asks for --yes. Refuses a folder that "
        "holds anything the loader does not write (a lake holds only the nine tables' "
        "folders and the loader's own _-prefixed entries), and waits for a running load.",
    )
    r.add_argument("--yes", action="store_true", help="really delete")
    common(r)
    r.set_defaults(func=cmd_reset)

    rp = sub.add_parser(
        "report",
        help="write the Customer 360 dashboard, one HTML file, from gold",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Write the Customer 360 dashboard (the seed's Power BI visuals) as one self-contained
HTML file read from the gold relations: the share of customers by segment, transactions
by weekday and hour per channel with the peak and quiet days read from the data,
average order value by category and by store location, the agents' resolution rate,
and the records refused by reason (audit.rejected_rows).

The file embeds its charting library (plotly): it opens offline in any browser, with
nothing fetched. Run `dbt build` first: the gold and audit relations must exist.""",
        epilog=ENVIRONMENT,
    )
    rp.add_argument(
        "--out",
        default=DEFAULT_REPORT,
        metavar="FILE",
        help=f"the HTML file to write (default: {DEFAULT_REPORT})",
    )
    rp.add_argument(
        "--duckdb",
        metavar="PATH",
        help=f"the DuckDB file (default: $C360_DUCKDB_PATH, else {DEFAULT_DUCKDB})",
    )
    rp.add_argument("--quiet", action="store_true", help="print errors only")
    rp.add_argument("--debug", action="store_true", help="show a traceback on error")
    rp.set_defaults(func=cmd_report)

    d = sub.add_parser(
        "dbt",
        help="run dbt (default: dbt build) once no other process holds the warehouse",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Run dbt with the arguments given (default: build), e.g. `python -m loader dbt build
--select gold`. On the DuckDB target it first checks that no other process holds the
warehouse file: while a bootstrap loads it, dbt-duckdb cannot open it and stops with a
long traceback; here the answer is one line (or, with --wait, a wait for it).""",
        epilog=ENVIRONMENT,
    )
    d.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for the warehouse to be free (default: 0)",
    )
    d.add_argument(
        "--duckdb",
        metavar="PATH",
        help=f"the DuckDB file (default: $C360_DUCKDB_PATH, else {DEFAULT_DUCKDB})",
    )
    d.add_argument("--debug", action="store_true", help="show a traceback on error")
    d.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt's command and arguments")
    d.set_defaults(func=cmd_dbt)

    st = sub.add_parser(
        "status",
        help="list the loads, the landed files not loaded yet and the quarantined ones",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Say what the lake and the warehouse hold: whether a load is running; every load of
the ledger (raw._loads: table, load id, file, records, malformed records, storage);
every landed file not loaded yet (pending: the next bootstrap loads it); and every
quarantined file with its reason (a landed file that could not be loaded, or that
was gone or changed after its load: later loads go on without it).""",
        epilog=ENVIRONMENT,
    )
    common(st)
    st.set_defaults(func=cmd_status)

    v = sub.add_parser(
        "verify",
        help="check every landed file of the lake against its manifest",
        description="Hash every landed file of the lake (sha256, and its size) and compare "
        "it with its manifest. Prints each file that differs or is gone, naming it, and "
        "exits 1 if there is one. Bronze is immutable: a bootstrap quarantines such a "
        "file, and a raw view refuses to read a file changed after its load.",
    )
    common(v)
    v.set_defaults(func=cmd_verify)

    w = sub.add_parser(
        "where",
        help="say where the warehouse and the lake are, and what next",
        description="Print where the warehouse and the lake are, and what to open next.",
    )
    common(w)
    w.set_defaults(func=cmd_where)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except LoaderError as e:
        if args.debug:
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the raw tables are as they were", file=sys.stderr)
        return 130
