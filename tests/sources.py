"""Small source folders written by tests: the nine extracts with rows the test chooses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from loader.contract import BY_TABLE, EXTRACTS

# One valid row per table, in the contract's column order; keys 1 everywhere.
VALID_ROW: dict[str, list[str]] = {
    "customers": ["1", "Ada Lovelace", "ada@example.org", "1 Analytical St"],
    "products": ["1", "Widget", "Toys", "9.99"],
    "stores": ["1", "Springfield", "Ned Flanders", "9:00 AM - 8:00 PM"],
    "agents": ["1", "Terry Edwards", "Billing", "Evening"],
    "online_transactions": [
        "1",
        "1",
        "1",
        "2025-01-20 22:34:31",
        "Gift Card",
        "189.90",
        "Completed",
    ],
    "instore_transactions": ["1", "1", "1", "2025-02-02 06:49:37", "135.74", "Cash"],
    "customer_service_interactions": ["1", "1", "2025-02-27 13:45:03", "1", "Other", "Resolved"],
    "loyalty_accounts": ["1", "1", "4291", "Gold", "2020-09-25"],
    "loyalty_transactions": ["1", "2025-01-13 20:04:21", "166", "Purchase"],
}


def csv_line(fields: Sequence[str]) -> str:
    """One CSV record, quoting a field only when it must be quoted."""
    out = []
    for f in fields:
        if any(c in f for c in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out)


def write_source(
    folder: Path,
    rows: Mapping[str, Sequence[Sequence[str] | str]] | None = None,
    *,
    skip: Sequence[str] = (),
    headers: Mapping[str, Sequence[str]] | None = None,
    newline: str = "\n",
) -> Path:
    """Write the nine files into ``folder``.

    ``rows[table]`` replaces that table's rows (default: the one :data:`VALID_ROW`); a
    row given as a ``str`` is written verbatim (for malformed records). ``skip`` leaves
    files out; ``headers[table]`` replaces a header.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = rows or {}
    headers = headers or {}
    for e in EXTRACTS:
        if e.table in skip or e.file in skip:
            continue
        lines = [csv_line(headers.get(e.table, e.headers))]
        for r in rows.get(e.table, [VALID_ROW[e.table]]):
            lines.append(r if isinstance(r, str) else csv_line(r))
        (folder / e.file).write_text(newline.join(lines) + newline, encoding="utf-8", newline="")
    return folder


def headers_of(table: str) -> tuple[str, ...]:
    return BY_TABLE[table].headers
