"""``python -m loader status`` and ``python -m loader verify``: what the lake and the
warehouse hold, and whether the lake's files are still the bytes that landed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from loader.contract import EXTRACTS
from loader.errors import BadLandedFile, LoaderError
from loader.lake import LandedFile, file_sha256
from loader.lakes import open_lake


def _ledger(db: Path) -> tuple[list[tuple], str | None]:
    """The rows of ``raw._loads`` (oldest load first), or why they cannot be read."""
    import duckdb

    if not db.exists():
        return [], f"no warehouse at {db} yet"
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as e:
        return [], f"cannot read the warehouse {db} now: {str(e).splitlines()[0]}"
    try:
        if not con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'raw' and table_name = '_loads'"
        ).fetchone()[0]:
            return [], f"the warehouse {db} has no ledger (raw._loads) yet"
        return con.execute(
            "select table_name, load_id, source_file, records, malformed, storage, "
            "cast(loaded_at as varchar) from raw._loads order by load_id, table_name"
        ).fetchall(), None
    finally:
        con.close()


def status(lake_url: str, db: Path) -> Iterator[str]:
    """The lines ``status`` prints."""
    lake = open_lake(lake_url)
    yield f"lake: {lake.url}"
    yield f"warehouse: {db}"
    yield "a load is running now" if lake.lock_held() else "no load is running"
    rows, problem = _ledger(db)
    done = {(t, lid, f) for t, lid, f, *_ in rows}
    yield ""
    yield f"loads ({len(rows)} files loaded)" + (f": {problem}" if problem else "")
    for table, load_id, file, records, malformed, storage, loaded_at in rows:
        yield (
            f"  {load_id}  {table:<30} {file:<32} {records:>10,} records "
            f"{malformed:>6,} malformed  {storage:<11} loaded {loaded_at}"
        )
    pending: list[LandedFile] = []
    quarantined = []
    for e in EXTRACTS:
        pending += [lf for lf in lake.landed(e.table) if lf.key not in done]
        quarantined += lake.quarantined(e.table)
    yield ""
    yield f"pending ({len(pending)} landed files not loaded yet: the next bootstrap loads them)"
    for lf in sorted(pending, key=lambda lf: (lf.load_id, lf.table)):
        yield f"  {lf.load_id}  {lf.path}  {lf.bytes:,} bytes, landed {lf.landed_at}"
    yield ""
    yield f"quarantined ({len(quarantined)} files set aside; later loads go on without them)"
    for q in sorted(quarantined, key=lambda q: (q.landed.load_id, q.landed.table)):
        yield f"  {q.landed.load_id}  {q.landed.path}  since {q.quarantined_at}: {q.reason}"
    leftovers = lake.clean_interrupted(dry_run=True)
    yield ""
    yield (
        f"interrupted landings ({len(leftovers)} leftovers of a run that stopped while "
        "landing: ignored, and removed by the next bootstrap)"
    )
    for path in leftovers:
        yield f"  {path}"


def verify(lake_url: str, out) -> list[str]:
    """Hash every landed file of the lake and compare it with its manifest; print and
    return the problems (one line each, naming the file)."""
    lake = open_lake(lake_url)
    problems, n, size = [], 0, 0
    for e in EXTRACTS:
        for lf in lake.landed(e.table):
            n += 1
            size += lf.bytes
            out.progress(f"  {lf.path}")
            path = lake.file_path(lf)
            try:
                if path is not None:
                    if not path.is_file():
                        raise BadLandedFile(lf, "the file is gone from the lake")
                    actual = path.stat().st_size
                    if actual != lf.bytes:
                        raise BadLandedFile(
                            lf, f"the file is {actual:,} bytes, its manifest says {lf.bytes:,}"
                        )
                    if file_sha256(path) != lf.sha256:
                        raise BadLandedFile(
                            lf, "its bytes no longer match the sha256 of its manifest"
                        )
                else:
                    with lake.local_copy(lf):  # downloads and checks the sha256
                        pass
            except BadLandedFile as err:
                problems.append(str(err))
                out.line(f"changed: {err}")
            except LoaderError:
                raise
    if problems:
        out.line(
            f"{len(problems)} of {n} landed files in the lake at {lake.url} differ from "
            "their manifests; the next bootstrap quarantines them"
        )
    else:
        out.line(
            f"verified {n} landed files ({size:,} bytes) in the lake at {lake.url}: "
            "each matches its manifest"
        )
    return problems
