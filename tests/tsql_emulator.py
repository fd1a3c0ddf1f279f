"""Compiled T-SQL run on DuckDB, with the T-SQL semantics that change the contract's figures.

sqlglot translates a compiled model from T-SQL to DuckDB; before that, the parts whose
meaning differs between the engines are replaced by Python functions that behave as SQL
Server (or Fabric Warehouse) does, so that a model's figures here are those the server
would compute:

- text comparison: under a case-insensitive database collation (``ci=True``, SQL Server's
  and Synapse's default ``SQL_Latin1_General_CP1_CI_AS``) every comparison, IN, join and
  GROUP BY ignores case (DuckDB's ``default_collation = 'nocase'``), except where the SQL
  says ``COLLATE ..._BIN2`` (then DuckDB's binary ``c`` collation);
- ``LIKE`` and ``PATINDEX`` with T-SQL's character classes (``[^0-9]``), case-insensitive
  unless under a binary collation;
- ``LEN``: UTF-16 code units (an emoji is 2) without trailing spaces, unless the collation
  is supplementary-character aware (``_SC``) or the text is UTF-8 (Fabric): then
  characters;
- ``CAST``/``TRY_CAST`` to ``nvarchar(n)``: cut to n UTF-16 code units; to ``varchar(n)``:
  every character outside code page 1252 becomes ``?``, then cut to n bytes (SQL Server
  and Synapse under their default collation), or cut to n UTF-8 bytes (Fabric);
- ``CAST``/``TRY_CAST`` of text to ``decimal(p, s)``: NULL beyond 38 digits, rounded half
  away from zero, NULL when it does not fit;
- ``TRY_CONVERT`` to ``date`` (style 23) and ``datetime2`` (style 121).

What it does not prove: that the server accepts the statement (the checker in
test_tsql_compile.py and the wrapper harness do that), nor any behaviour not listed here
(DuckDB's own semantics stand in for the rest).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import duckdb
import sqlglot
from sqlglot import exp

TEXT_TYPES = {
    exp.DataType.Type.VARCHAR: "varchar",
    exp.DataType.Type.CHAR: "varchar",
    exp.DataType.Type.NVARCHAR: "nvarchar",
    exp.DataType.Type.NCHAR: "nvarchar",
}
NUMERIC_RESULTS = (
    exp.Div,
    exp.Mul,
    exp.Add,
    exp.Sub,
    exp.Sum,
    exp.Count,
    exp.Avg,
    exp.Max,
    exp.Min,
    exp.Coalesce,
    exp.Case,
)


# --- the functions T-SQL has and DuckDB spells differently ----------------------------------


def _like_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        elif c == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def tsql_like(value: str | None, pattern: str | None, case_sensitive: bool) -> bool | None:
    if value is None or pattern is None:
        return None
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch(_like_regex(pattern), value, flags) is not None


def tsql_patindex(pattern: str | None, value: str | None, case_sensitive: bool) -> int | None:
    if value is None or pattern is None:
        return None
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    core = pattern[1:-1] if pattern.startswith("%") and pattern.endswith("%") else pattern
    m = re.search(_like_regex(core), value, flags)
    return m.start() + 1 if m else 0


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def tsql_len(value: str | None, characters: bool) -> int | None:
    if value is None:
        return None
    value = value.rstrip(" ")
    return len(value) if characters else utf16_units(value)


def tsql_text(value: str | None, kind: str, length: int, utf8: bool) -> str | None:
    """``cast(value as <kind>(length))``: the text the server would store."""
    if value is None:
        return None
    if kind == "nvarchar":
        out, units = [], 0
        for ch in value:
            units += utf16_units(ch)
            if units > length:
                break
            out.append(ch)
        return "".join(out)
    if utf8:
        data = value.encode("utf-8")[:length]
        return data.decode("utf-8", errors="ignore")
    return value.encode("cp1252", errors="replace")[:length].decode("cp1252")


DECIMAL_TEXT = re.compile(r"\s*([+-]?)(\d*)(?:\.(\d*))?\s*")


def tsql_decimal(value: str | None, precision: int, scale: int) -> Decimal | None:
    """``try_cast(value as decimal(precision, scale))`` of a text."""
    if value is None:
        return None
    m = DECIMAL_TEXT.fullmatch(value)
    if not m or not (m.group(2) or m.group(3)):
        return None
    sign, whole, fraction = m.group(1), m.group(2) or "", m.group(3) or ""
    if len(whole) + len(fraction) > 38:  # T-SQL: an arithmetic overflow converting the text
        return None
    try:
        number = Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return None
    rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if abs(rounded) >= Decimal(10) ** (precision - scale):
        return None
    return rounded


def tsql_date(value: str | None) -> dt.date | None:
    """``try_convert(date, value, 23)``: yyyy-mm-dd."""
    if value is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def tsql_datetime2(value: str | None) -> dt.datetime | None:
    """``try_convert(datetime2(6), value, 121)``: yyyy-mm-dd hh:mi:ss[.fffffff]."""
    m = value and re.fullmatch(
        r"(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?", value
    )
    if not m:
        return None
    try:
        day = dt.date.fromisoformat(m.group(1))
        fraction = (m.group(5) or "").ljust(7, "0")
        micro = int(Decimal(fraction) / 10 + Decimal("0.5"))  # 100 ns ticks, rounded
        at = dt.datetime(day.year, day.month, day.day, int(m.group(2)), int(m.group(3)))
        return at + dt.timedelta(seconds=int(m.group(4)), microseconds=micro)
    except ValueError:
        return None


def register(con: duckdb.DuckDBPyConnection) -> None:
    """The functions above, as DuckDB functions of the same names."""
    V, B, I = "VARCHAR", "BOOLEAN", "INTEGER"  # noqa: E741, N806
    for name, fun, args, result in [
        ("tsql_like", tsql_like, [V, V, B], B),
        ("tsql_patindex", tsql_patindex, [V, V, B], I),
        ("tsql_len", tsql_len, [V, B], I),
        ("tsql_text", tsql_text, [V, V, I, B], V),
        ("tsql_decimal_38_10", tsql_decimal, [V, I, I], "DECIMAL(38, 10)"),
        ("tsql_date", tsql_date, [V], "DATE"),
        ("tsql_datetime2", tsql_datetime2, [V], "TIMESTAMP"),
    ]:  # a NULL argument gives NULL without a call; a call may return NULL too
        con.create_function(name, fun, args, result, null_handling="special")


# --- the translation -----------------------------------------------------------------------


def _binary(node: exp.Expression) -> bool:
    """Under a binary collation (a ..._BIN2 one, already made DuckDB's ``c``)."""
    return any(
        "BIN2" in c.expression.name.upper() or c.expression.name.lower() == "c"
        for c in node.find_all(exp.Collate)
    )


def _supplementary(node: exp.Expression) -> bool:
    return any("_SC" in c.expression.name.upper() for c in node.find_all(exp.Collate))


def _strip_collation(node: exp.Expression) -> exp.Expression:
    while isinstance(node, (exp.Collate, exp.Paren)):
        node = node.this
    return node


def _as_text(node: exp.Expression) -> exp.Expression:
    return exp.cast(node, exp.DataType.build("VARCHAR"))


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _int(n: int) -> exp.Expression:
    return exp.Literal.number(n)


def _bool(b: bool) -> exp.Expression:
    return exp.Boolean(this=b)


def _numeric_input(node: exp.Expression) -> bool:
    node = _strip_collation(node)
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return not node.to.is_type(*TEXT_TYPES)
    if isinstance(node, exp.Literal):
        return not node.is_string
    return isinstance(node, NUMERIC_RESULTS)


def to_duckdb(sql: str, *, ci: bool, utf8: bool = False) -> str:
    """``sql`` (one compiled T-SQL SELECT) as DuckDB SQL with T-SQL's semantics.
    ``ci``: the database collation is case-insensitive. ``utf8``: text is varchar under a
    UTF-8 collation (Fabric Warehouse)."""
    tree = sqlglot.parse_one(sql, read="tsql")

    def bottom_up(node: exp.Expression, fun) -> exp.Expression:
        """``fun`` applied to every node, children first (sqlglot's transform does not
        descend into a node it replaced)."""
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                node.set(key, bottom_up(value, fun))
            elif isinstance(value, list):
                node.set(
                    key, [bottom_up(v, fun) if isinstance(v, exp.Expression) else v for v in value]
                )
        return fun(node)

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Like):
            case_sensitive = not ci or _binary(node.this)
            call = _call(
                "tsql_like",
                _as_text(_strip_collation(node.this)),
                node.expression,
                _bool(case_sensitive),
            )
            return exp.Not(this=call) if node.args.get("negate") else call
        if isinstance(node, exp.Anonymous) and node.name.lower() == "patindex":
            pattern, value = node.expressions
            return _call(
                "tsql_patindex",
                pattern,
                _as_text(value),
                _bool(not ci or _binary(value)),
            )
        if isinstance(node, exp.Length):
            arg = node.this.this if isinstance(node.this, exp.Cast) else node.this
            return _call(
                "tsql_len",
                _as_text(_strip_collation(arg)),
                _bool(utf8 or _supplementary(arg)),
            )
        if isinstance(node, exp.Convert) and node.args.get("safe"):
            to = node.this
            if to.is_type(exp.DataType.Type.DATE):
                return _call("tsql_date", _as_text(node.expression))
            if to.is_type(exp.DataType.Type.DATETIME2, exp.DataType.Type.TIMESTAMP):
                return _call("tsql_datetime2", _as_text(node.expression))
        if isinstance(node, (exp.Cast, exp.TryCast)):
            to = node.to
            params = [int(p.this.this) for p in to.expressions if isinstance(p.this, exp.Literal)]
            if to.is_type(*TEXT_TYPES) and params:
                kind = TEXT_TYPES[to.this]
                return _call(
                    "tsql_text",
                    _as_text(node.this),
                    exp.Literal.string(kind),
                    _int(params[0]),
                    _bool(utf8),
                )
            literal = node.this
            if (
                to.is_type(exp.DataType.Type.DATE)
                and isinstance(literal, exp.Literal)
                and re.fullmatch(r"\d{8}", literal.this)
            ):  # T-SQL's unseparated ISO date, 'yyyymmdd'
                text = literal.this
                return exp.cast(exp.Literal.string(f"{text[:4]}-{text[4:6]}-{text[6:]}"), to)
            if to.is_type(exp.DataType.Type.DECIMAL) and len(params) == 2:
                if not _numeric_input(node.this):
                    value = _call(
                        "tsql_decimal_38_10", _as_text(node.this), _int(params[0]), _int(params[1])
                    )
                    return exp.cast(value, to)
        if isinstance(node, exp.Collate) and "BIN2" in node.expression.name.upper():
            return exp.Collate(this=node.this, expression=exp.var("c"))
        return node

    def drop_other_collations(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Collate) and node.expression.name.lower() != "c":
            return node.this  # a case-insensitive one: the database's default already
        return node

    tree = bottom_up(bottom_up(tree, rewrite), drop_other_collations)
    return tree.sql("duckdb")
