"""Splitting an extract into records: RFC 4180 CSV, exactly, with record numbers.

Python's ``csv`` module does the splitting (double-quote quoting with quoted commas,
quotes and line breaks; LF or CRLF); the file is read as UTF-8 with or without a
byte-order mark. A record is *malformed* when its quoting is broken or its field count
differs from the header's; it is returned with its text, never dropped. Completely
blank lines are not records. Record numbers are 1-based and exclude the header: a
record spanning several lines through a quoted line break counts once.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from loader.contract import Extract
from loader.errors import LoaderError

csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Header:
    """The header of one file, mapped onto the extract's columns."""

    fields: tuple[str, ...]  # as written in the file
    positions: tuple[int, ...]  # for each contract column, its index in the record
    extra: tuple[str, ...]  # columns the contract does not know: reported and ignored


@dataclass(frozen=True)
class Malformed:
    row: int  # 1-based record number
    text: str  # the record's text as read, line ends included
    error: str
    key: str | None  # the key fields' text joined with "|", when the record has them


def map_header(extract: Extract, fields: list[str], where: str) -> Header:
    """Match header names case-insensitively, in any order, ignoring surrounding spaces."""
    names = [f.strip().lower() for f in fields]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen and n:
            raise LoaderError(f"{where}: column {fields[i].strip()!r} appears twice in the header")
        seen[n] = i
    positions = []
    for col in extract.columns:
        i = seen.get(col.header.lower())
        if i is None:
            raise LoaderError(
                f"{where}: required column {col.header!r} is missing from the header "
                f"(found: {', '.join(f.strip() for f in fields) or 'nothing'})"
            )
        positions.append(i)
    known = {c.header.lower() for c in extract.columns}
    extra = tuple(f.strip() for f, n in zip(fields, names, strict=True) if n not in known)
    return Header(tuple(fields), tuple(positions), extra)


class _LineTap:
    """Feeds lines to ``csv.reader`` and remembers those of the current record."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line


def open_text(path: Path):
    """Open a CSV file as UTF-8 text, a byte-order mark removed, line ends untouched."""
    return open(path, encoding="utf-8-sig", newline="")


def read_header(path: Path, extract: Extract, where: str | None = None) -> Header:
    """Read and map the header of ``path``; a missing or unreadable header is an error."""
    where = where or path.name
    try:
        with open_text(path) as f:
            for row in csv.reader(f, strict=True):
                if row:
                    return map_header(extract, row, where)
    except UnicodeDecodeError as e:
        raise LoaderError(f"{where}: not UTF-8 text (byte {e.start}): save it as UTF-8") from e
    except csv.Error as e:
        raise LoaderError(f"{where}: the header row cannot be read as CSV: {e}") from e
    raise LoaderError(f"{where}: the file is empty: a header row naming the columns is required")


def split_records(
    path: Path, extract: Extract, where: str | None = None
) -> Iterator[tuple[int, list[str] | Malformed]]:
    """Yield ``(record number, fields)`` for each record, fields in the contract's column order.

    Fields are the text as read (no trimming); a malformed record is yielded as
    :class:`Malformed`. The first item consumed is the header, validated by
    :func:`map_header`.
    """
    where = where or path.name
    with open_text(path) as f:
        tap = _LineTap(iter(f))
        reader = csv.reader(tap, strict=True)
        header: Header | None = None
        width = 0
        row_no = 0
        while True:
            tap.taken.clear()
            try:
                fields = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as e:
                raise LoaderError(
                    f"{where}: not UTF-8 text near record {row_no + 1} (byte {e.start}): "
                    "save it as UTF-8"
                ) from e
            except csv.Error as e:
                if header is None:
                    raise LoaderError(f"{where}: the header row cannot be read as CSV: {e}") from e
                row_no += 1
                yield row_no, Malformed(row_no, "".join(tap.taken), f"broken quoting: {e}", None)
                continue
            if not fields:  # a blank line
                continue
            if header is None:
                header = map_header(extract, fields, where)
                width = len(header.fields)
                positions = header.positions
                key_positions = [
                    positions[extract.column_names.index(k)] for k in extract.primary_key
                ]
                continue
            row_no += 1
            if len(fields) != width:
                key = None
                if len(fields) > max(key_positions):
                    key = "|".join(fields[i].strip() for i in key_positions)
                yield (
                    row_no,
                    Malformed(
                        row_no,
                        "".join(tap.taken),
                        f"{len(fields)} fields where the header has {width}",
                        key,
                    ),
                )
                continue
            yield row_no, [fields[i] for i in positions]
        if header is None:
            raise LoaderError(
                f"{where}: the file is empty: a header row naming the columns is required"
            )
