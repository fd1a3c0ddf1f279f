"""Splitting an extract into records: RFC 4180 CSV, exactly, with record numbers.

Python's ``csv`` module does the splitting (double-quote quoting with quoted commas,
quotes and line breaks; LF or CRLF); the file is read as UTF-8 with or without a
byte-order mark. A record is *malformed* when its quoting is broken or its field count
differs from the header's; it is returned with its text, never dropped. Completely
blank lines are not records. Record numbers are 1-based and exclude the header: a
record spanning several lines through a quoted line break counts once.

A malformed record costs one physical line (CONTRACT.md section 2): when a record that
would span several physical lines (an opening quote not closed where it should be) is
malformed, only its first physical line is rejected, as one malformed record, and
reading resumes at the next line, which starts the next record. So one stray ``"``
rejects one line, never the good lines after it.

Physical lines are what Python's text reading with ``newline=""`` yields: a line ends at
LF, CRLF or a lone CR. :func:`count_lines` counts them on the file's bytes, independently
of the splitting, and :class:`LineTally` says how the splitter used them, so that the
ledger can prove that no line was swallowed: records + other lines = physical lines.

Beside the splitter, the byte scan that mirrors it (:func:`fast_path_allowed`): whether
DuckDB's CSV reader would give exactly the records this splitter gives for a file, so
that :mod:`loader.warehouse` may read the file in place.
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


def shown(text: str) -> str:
    """``text`` safe to print on a terminal: every character that is not printable
    (control characters such as ESC, line breaks, bidirectional overrides) escaped as
    Python writes it (``\\x1b``, ``\\n``, ``\\u202e``), so that a header name read
    from a file never drives the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def map_header(extract: Extract, fields: list[str], where: str) -> Header:
    """Match header names case-insensitively, in any order, ignoring surrounding spaces.

    A contract column named twice is refused (which one holds the values?); a column the
    contract does not know is ignored, however often it appears."""
    names = [f.strip().lower() for f in fields]
    known = {c.header.lower() for c in extract.columns}
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen and n in known:
            raise LoaderError(f"{where}: column {fields[i].strip()!r} appears twice in the header")
        seen.setdefault(n, i)
    positions = []
    for col in extract.columns:
        i = seen.get(col.header.lower())
        if i is None:
            raise LoaderError(
                f"{where}: required column {col.header!r} is missing from the header "
                f"(found: {shown(', '.join(f.strip() for f in fields)) or 'nothing'})"
            )
        positions.append(i)
    extra = tuple(f.strip() for f, n in zip(fields, names, strict=True) if n not in known)
    return Header(tuple(fields), tuple(positions), extra)


@dataclass
class LineTally:
    """How :func:`split_records` used a file's physical lines: each record (good or
    malformed) starts on a line of its own, and ``other`` counts every other line: the
    header's, blank lines, and the second and later lines of good records that span
    several lines through quoted line breaks. A malformed record is one line, always.
    So records + ``other`` = the file's physical lines (:func:`count_lines`)."""

    other: int = 0


LINE_COUNT_BLOCK = 1 << 24  # bytes read at a time by count_lines


def count_lines(path: Path) -> int:
    """The file's physical lines, counted on its bytes (LF, CRLF and a lone CR end a line;
    a last line without an end counts), as Python's text reading yields them."""
    lf = cr = crlf = 0
    last = b""
    with open(path, "rb") as f:
        while block := f.read(LINE_COUNT_BLOCK):
            lf += block.count(b"\n")
            if block.find(b"\r") >= 0:  # memchr: most files have no CR, and skip the rest
                cr += block.count(b"\r")
                crlf += block.count(b"\r\n")
            if last == b"\r" and block[:1] == b"\n":  # a CRLF across two blocks
                crlf += 1
            last = block[-1:]
    return lf + cr - crlf + (1 if last not in (b"", b"\n", b"\r") else 0)


class _LineTap:
    """Feeds lines to ``csv.reader`` and remembers those of the current record; lines given
    back (:meth:`give_back_all_but_first`) are read again, first."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._again: list[str] = []  # lines to read again, the next one last
        self.taken: list[str] = []

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else next(self._lines)
        self.taken.append(line)
        return line

    def give_back_all_but_first(self) -> None:
        """The current record is its first line only: the lines after it are read again."""
        self._again.extend(reversed(self.taken[1:]))
        del self.taken[1:]


def _complete_fields(line: str) -> list[str]:
    """The fields of a record's first line that end before the line does: the line of a
    record that would span several lines ends inside a quoted field, which is dropped."""
    try:
        fields = next(csv.reader([line]), [])
    except csv.Error:  # not expected of one physical line; then no field is certain
        return []
    return fields[:-1]


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
    path: Path, extract: Extract, where: str | None = None, tally: LineTally | None = None
) -> Iterator[tuple[int, list[str] | Malformed]]:
    """Yield ``(record number, fields)`` for each record, fields in the contract's column order.

    Fields are the text as read (no trimming); a malformed record is yielded as
    :class:`Malformed`, one physical line at most (see the module docstring). The first
    item consumed is the header, validated by :func:`map_header`. ``tally``, when given,
    counts the lines that start no record (:class:`LineTally`).
    """
    where = where or path.name
    tally = tally if tally is not None else LineTally()
    with open_text(path) as f:
        tap = _LineTap(iter(f))
        reader = csv.reader(tap, strict=True)
        header: Header | None = None
        width = 0
        row_no = 0
        while True:
            tap.taken.clear()
            error = None
            try:
                fields: list[str] | None = next(reader)
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
                fields, error = None, f"broken quoting: {e}"
            if fields is not None and not fields:  # a blank line
                tally.other += 1
                continue
            if header is None:
                header = map_header(extract, fields or [], where)
                width = len(header.fields)
                positions = header.positions
                key_positions = [
                    positions[extract.column_names.index(k)] for k in extract.primary_key
                ]
                tally.other += len(tap.taken)
                continue
            row_no += 1
            if fields is not None and len(fields) == width:
                tally.other += len(tap.taken) - 1
                yield row_no, [fields[i] for i in positions]
                continue
            if error is None:
                error = f"{len(fields or [])} fields where the header has {width}"
            if len(tap.taken) > 1:  # it would span several lines: it costs its first only
                error += (
                    f" (the record would span {len(tap.taken)} lines; only its first line "
                    "is rejected, and reading resumes at the next)"
                )
                tap.give_back_all_but_first()
                fields = _complete_fields(tap.taken[0])
                reader = csv.reader(tap, strict=True)
            key = None
            if fields is not None and len(fields) > max(key_positions):
                key = "|".join(fields[i].strip() for i in key_positions)
            yield row_no, Malformed(row_no, "".join(tap.taken), error, key)
        if header is None:
            raise LoaderError(
                f"{where}: the file is empty: a header row naming the columns is required"
            )


# --- the byte scan that decides DuckDB's in-place path ------------------------------------
#
# DuckDB reads a landed file in place (loader.warehouse) only when its reader gives exactly
# the records split_records gives. Its reader refuses what it cannot read; the cases where
# it would read a file differently from this splitter are found here, on the file's bytes.

NULL_MARK = "\x01c360-absent\x02"  # DuckDB's nullstr: a text no field holds


def fast_path_allowed(path: Path) -> bool:
    """Whether DuckDB's reader (:func:`loader.warehouse.read_csv_sql`) gives exactly what
    Python's ``csv`` gives for this file.

    DuckDB refuses (and so sends to Python) a quote inside a quoted field that is not
    doubled, and a record with more than ``loader.warehouse.PAD`` extra fields. It differs
    from RFC 4180 in three cases, which are looked for here: a quote left open at the end of
    the file (DuckDB drops the rest of the file; an odd number of quotes in the file finds
    it), white space between a field boundary and a quote (``1, "b"`` or ``"b" ,``; a hit
    inside quoted text, ``"a ""b"" c"``, is not one), and a blank line before the header.
    A file holding :data:`NULL_MARK` anywhere is Python's too: DuckDB would read a field
    equal to it as absent, Python as the text it is.
    """
    import mmap

    if path.stat().st_size == 0:
        return False
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        start = 3 if m[:3] == b"\xef\xbb\xbf" else 0
        if m[start : start + 1] in (b"\r", b"\n"):
            return False
        if m.find(NULL_MARK.encode()) >= 0:
            return False
        quotes = sum(m[i : i + CHUNK].count(b'"') for i in range(0, len(m), CHUNK))
        if quotes % 2:
            return False
        if quotes <= QUOTE_WALK_LIMIT:
            return not _white_space_at_a_quote_walk(m, start)
        return not _white_space_at_a_quote(m, start)


CHUNK = 64 * 1024 * 1024
# Up to this many quotes in a file, the white-space check visits each quote (one memchr
# each); above it, it looks for the four blank-and-quote pairs instead (four passes over
# the file, whatever the number of quotes). At 10M online transactions the first took the
# check of a 700 MB file with 12,000 quotes from 2.5 s to milliseconds.
QUOTE_WALK_LIMIT = 1_000_000
_BOUNDARY = frozenset(b",\r\n")
_BLANK = frozenset(b" \t")


def _white_space_at_a_quote_walk(m, start: int) -> bool:
    """:func:`_white_space_at_a_quote`, by visiting every quote in order: the k-th quote
    (from 0) opens quoted text when k is even, and closes it (or is the first of a doubled
    quote, which no white space follows) when k is odd."""
    size, k = len(m), 0
    at = m.find(b'"', start)
    while at >= 0:
        if k % 2 == 0:  # opens a field: a boundary, then white space, then the quote?
            if at > start and m[at - 1] in _BLANK:
                j = at - 1
                while j > start and m[j - 1] in _BLANK:
                    j -= 1
                if j == start or m[j - 1] in _BOUNDARY:
                    return True
        elif at + 1 < size and m[at + 1] in _BLANK:  # closes: white space, then a boundary?
            j = at + 1
            while j < size and m[j] in _BLANK:
                j += 1
            if j == size or m[j] in _BOUNDARY:
                return True
        k += 1
        at = m.find(b'"', at + 1)
    return False


def _white_space_at_a_quote(m, start: int) -> bool:
    """Is there white space between a field boundary and a quote that opens or closes a
    field? Quote parity tells where a hit is: an even number of quotes before a place
    (doubled quotes count two) means it is outside quoted text."""
    hits = []
    for pat, closing in ((b' "', False), (b'\t"', False), (b'" ', True), (b'"\t', True)):
        i = m.find(pat, start)
        while i >= 0:
            hits.append((i, closing))
            i = m.find(pat, i + 1)
    hits.sort()
    size, at, quotes = len(m), start, 0
    for i, closing in hits:
        quote = i if closing else i + 1  # where the hit's quote is
        quotes += m[at:quote].count(b'"')
        at = quote
        # With an odd count before it, a quote ends quoted text (followed by white space,
        # it is no doubled quote); with an even count it starts one.
        if closing != bool(quotes % 2):
            continue  # a quote opening text, or white space inside quoted text
        if closing:  # the quote at i closes a field: white space, then a boundary?
            continue_at = quote + 1
            while continue_at < size and m[continue_at] in _BLANK:
                continue_at += 1
            if continue_at == size or m[continue_at] in _BOUNDARY:
                return True
        else:  # the quote at i + 1 opens a field: a boundary, then white space?
            j = i
            while j > start and m[j - 1] in _BLANK:
                j -= 1
            if j == start or m[j - 1] in _BOUNDARY:
                return True
    return False
