"""What the T-SQL adapters really send: ``dbt build`` with the installed adapters' own
materializations, in process, against a recording fake ``pyodbc`` instead of a server
(issue 14, "the proof from now on").

    python -m tests.tsql_harness <target> <out dir>     # sqlserver | synapse | fabric

runs two builds of the whole project (the first with the dbt unit tests, the later one
without) and writes ``<out>/first.json`` and ``<out>/later.json``:

- **first**: only what the loader creates exists (its own DDL, loader/tsql_warehouse.py:
  the schemas and the raw tables with their columns); every view, table, incremental
  model (its full-refresh branch), seed, data test and unit test is built;
- **later**: the database as the first build left it, every relation with its columns:
  views are replaced, incremental models take their incremental branch against their
  existing columns, seeds are refreshed and the tests run again.

Each file holds every statement the adapter sent, in order, with the node it belongs
to (dbt prefixes each statement with a query comment naming ``node_id``), and each
node's status and message as dbt reported it.

The fake server (``FakeServer``) keeps a catalog: the schemas, and each relation with
its columns and types, updated from the DDL it receives (CREATE TABLE / VIEW, CTAS,
SELECT INTO, DROP, sp_rename, RENAME OBJECT, CREATE SCHEMA, unwrapped from EXEC('...')).
It answers dbt's catalog queries (sys.schemas, sys.tables/sys.views,
sys.columns/INFORMATION_SCHEMA.COLUMNS) from that catalog, and the contract probes
(``select * from (...) where 1 = 0``, dbt-fabric's ``with __dbt_sbq_tmp as (...)``,
``sys.dm_exec_describe_first_result_set``) with the types the probed select casts its
columns to (parsed with sqlglot), resolved through its CTEs, subqueries and the catalog,
so that a declared ``timestamp`` and a ``datetime2(6)`` cast differ as on a server (SQL
Server's ``timestamp`` is ``rowversion``: binary). A data test finds no failing row; a
unit test finds no difference. The project's own run_query statements get plausible
answers: the watermarks (``select max(<column>) as latest``) a load id and a time,
``touched_scope``'s EXISTS 1 (some key touched), ``segment_rules_changed`` the digest
the first build wrote (the rules did not change), ``latest_build`` rows of this build
and of earlier ones, and spans of two different times (so a later test takes its
filtered form), ``build_loads`` one load. No ``offline_compile`` var is set: dbt's own
``is_incremental()`` decides, from the catalog.

What it does not prove: that a server executes any of it (types of expressions that are
not cast, locking, permissions, results, performance); the fake answers what it is asked
plausibly, it does not evaluate SQL.
"""

from __future__ import annotations

import datetime
import decimal
import json
import os
import re
import sys
import threading
import time
import types
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[1]

PLACEHOLDERS = {
    "SQLSERVER_HOST": "placeholder.invalid",
    "SQLSERVER_DATABASE": "customer360",
    "SQLSERVER_USER": "placeholder",
    "SQLSERVER_PASSWORD": "placeholder",
    "SYNAPSE_HOST": "placeholder.invalid",
    "SYNAPSE_DATABASE": "customer360",
    "SYNAPSE_USER": "placeholder",
    "SYNAPSE_PASSWORD": "placeholder",
    "FABRIC_HOST": "placeholder.invalid",
    "FABRIC_DATABASE": "customer360",
    "FABRIC_AUTHENTICATION": "ActiveDirectoryServicePrincipal",
    "FABRIC_CLIENT_ID": "placeholder",
    "FABRIC_CLIENT_SECRET": "placeholder",
    "FABRIC_TENANT_ID": "placeholder",
}

# What each build selects: the first build every node, the dbt unit tests included (they
# depend on no earlier build), the later build the default selection (the unit tests
# would send the same statements again).
SELECTION = {"first": "everything", "later": "production"}
NODE_ID = re.compile(r'"node_id":\s*"([^"]+)"')
QUERY_COMMENT = re.compile(r"^\s*/\*\s*\{.*?\}\s*\*/\s*", re.DOTALL)

# A load id and build times: what a warehouse built once would answer.
LOAD_ID = "20260101T000000000000Z"
EARLIER = datetime.datetime(2026, 1, 1, 0, 0, 0)
LATER = datetime.datetime(2026, 1, 2, 0, 0, 0)


def build_started() -> datetime.datetime | None:
    """The running dbt invocation's run_started_at: what the rows a build writes carry."""
    from dbt import tracking

    return tracking.active_user.run_started_at if tracking.active_user else None


# --- names and types ---------------------------------------------------------------------


def _unquote(part: str) -> str:
    part = part.strip()
    if part[:1] in ('"', "[") and part[-1:] in ('"', "]"):
        return part[1:-1]
    return part


def split_name(name: str) -> tuple[str, str]:
    """'"db"."silver"."x"', '[silver].[x]', 'x', 'tempdb..#x' -> (schema, name), lower case."""
    parts = [p for p in re.findall(r'"[^"]*"|\[[^\]]*\]|[^.\s]+|(?<=\.)(?=\.)', name.strip())]
    parts = [_unquote(p) for p in parts]
    ident = parts[-1] if parts else ""
    if ident.startswith("#"):
        return "#", ident.lower()
    schema = parts[-2] if len(parts) >= 2 and parts[-2] else "dbo"
    return schema.lower(), ident.lower()


def python_type(sql_type: str | None) -> type:
    """The Python class pyodbc reports in cursor.description for a SQL Server type."""
    base = (sql_type or "varchar").split("(")[0].strip().lower()
    if base in ("int", "bigint", "smallint", "tinyint"):
        return int
    if base == "bit":
        return bool
    if base in ("decimal", "numeric", "money", "smallmoney"):
        return decimal.Decimal
    if base in ("float", "real", "double"):
        return float
    if base == "date":
        return datetime.date
    if base in ("datetime", "datetime2", "smalldatetime", "datetimeoffset"):
        return datetime.datetime
    if base == "time":
        return datetime.time
    if base in ("binary", "varbinary", "image", "timestamp", "rowversion"):
        return bytearray
    return str


def type_parts(sql_type: str | None) -> tuple[str, int | None, int | None, int | None]:
    """'varchar(100)' -> ('varchar', 100, None, None); 'decimal(10,2)' -> ('decimal', None,
    10, 2): a sys.columns / INFORMATION_SCHEMA.COLUMNS row's type columns."""
    t = (sql_type or "varchar(8000)").strip().lower()
    m = re.fullmatch(r"(\w+)\s*(?:\(\s*(\w+)\s*(?:,\s*(\d+)\s*)?\))?", t)
    if not m:
        return t, None, None, None
    base, a, b = m.group(1), m.group(2), m.group(3)
    if base in ("decimal", "numeric"):
        return base, None, int(a or 18), int(b or 0)
    if base in ("varchar", "nvarchar", "char", "nchar", "varbinary", "binary"):
        return base, (-1 if a == "max" else int(a or 1)), None, None
    if base in ("datetime2", "time", "datetimeoffset"):
        return base, None, None, int(a or 7)
    if base in ("int", "bigint", "smallint", "tinyint"):
        return base, None, {"int": 10, "bigint": 19, "smallint": 5, "tinyint": 3}[base], 0
    return base, None, None, None


# --- the type of each projected column of a select -----------------------------------------

Columns = list[tuple[str, "str | None"]]


# sqlglot reads T-SQL's timestamp as rowversion (the same type: a server describes it as
# timestamp), text as varchar(max) and boolean as bit: keep the names the SQL wrote.
_TYPE_NAMES = {"ROWVERSION": "timestamp", "TEXT": "text", "BOOLEAN": "boolean"}


def type_name(to: exp.DataType) -> str:
    named = _TYPE_NAMES.get(to.this.name)
    return named or to.sql("tsql").lower().replace("integer", "int").replace("numeric", "decimal")


def _dtype(node: exp.Expression) -> str | None:
    to = node.args.get("to")
    return type_name(to) if isinstance(to, exp.DataType) else None


class Resolver:
    """The columns (name, declared type or None) a query projects, resolved through its
    CTEs, subqueries and the relations of the catalog."""

    def __init__(self, catalog: dict[tuple[str, str], dict]):
        self.catalog = catalog

    def query(self, q: exp.Expression, ctes: dict[str, exp.Expression]) -> Columns:
        while isinstance(q, (exp.Subquery, exp.Paren)):
            q = q.this
        if isinstance(q, exp.SetOperation):
            return self.query(q.left, ctes)
        if not isinstance(q, exp.Select):
            return []
        ctes = dict(ctes)
        with_ = q.args.get("with_") or q.args.get("with")
        if with_:
            for cte in with_.expressions:
                ctes[cte.alias_or_name.lower()] = cte.this
        sources: list[tuple[str, Columns]] = []
        from_ = q.args.get("from_") or q.args.get("from")
        for src in ([from_.this] if from_ else []) + [j.this for j in q.args.get("joins") or []]:
            sources.append((src.alias_or_name.lower(), self.source(src, ctes)))
        out: Columns = []
        for e in q.expressions:
            if isinstance(e, exp.Star):
                for _, cols in sources:
                    out.extend(cols)
            elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                out.extend(dict(sources).get(e.table.lower(), []))
            else:
                out.append((e.alias_or_name, self.expr_type(e.unalias(), sources)))
        return out

    def source(self, src: exp.Expression, ctes: dict[str, exp.Expression]) -> Columns:
        if isinstance(src, exp.Table) and not src.args.get("db") and src.name.lower() in ctes:
            inner = {k: v for k, v in ctes.items() if k != src.name.lower()}
            return self.query(ctes[src.name.lower()], inner)
        if isinstance(src, exp.Table):
            schema = src.db or "dbo"
            rel = self.catalog.get((schema.lower(), src.name.lower()))
            return list(rel["columns"]) if rel else []
        if isinstance(src, exp.Subquery):
            return self.query(src.this, ctes)
        return []

    def expr_type(self, e: exp.Expression, sources: list[tuple[str, Columns]]) -> str | None:
        while isinstance(e, exp.Paren):
            e = e.this
        if isinstance(e, (exp.Cast, exp.TryCast)):
            return _dtype(e)
        if isinstance(e, exp.Convert) and isinstance(e.this, exp.DataType):
            return type_name(e.this)
        if isinstance(e, exp.Column):
            name = e.name.lower()
            for alias, cols in sources:
                if e.table and e.table.lower() != alias:
                    continue
                for col, t in cols:
                    if col.lower() == name:
                        return t
            return None
        if isinstance(e, exp.Literal):
            return (
                f"varchar({max(len(e.this), 1)})"
                if e.is_string
                else ("decimal(38,10)" if "." in e.this else "int")
            )
        if isinstance(e, (exp.Count,)):
            return "int"
        if isinstance(e, (exp.Max, exp.Min, exp.Coalesce, exp.Sum)):
            return self.expr_type(e.this, sources)
        if isinstance(e, exp.Case):
            for when in e.args.get("ifs") or []:
                t = self.expr_type(when.args["true"], sources)
                if t:
                    return t
        return None


# --- unwrapping a batch -----------------------------------------------------------------

EXEC_STRING = re.compile(r"\bexec(?:ute)?\s*\(\s*N?'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
DESCRIBE_STRING = re.compile(
    r"(?:sp_describe_first_result_set\s+@tsql\s*=\s*|dm_exec_describe_first_result_set\s*\(\s*)"
    r"N'((?:[^']|'')*)'",
    re.IGNORECASE,
)


def nested_sql(sql: str) -> list[str]:
    """The SQL texts inside a batch's EXEC('...') and describe calls, unescaped, each
    with its own nested ones (depth first)."""
    out = []
    for m in list(EXEC_STRING.finditer(sql)) + list(DESCRIBE_STRING.finditer(sql)):
        inner = m.group(1).replace("''", "'")
        out.append(inner)
        out.extend(nested_sql(inner))
    return out


def column_definitions(text: str) -> Columns:
    """'(a int not null, b varchar(20), constraint ...)' at the start of text: [(name, type)]."""
    text = text.lstrip()
    if not text.startswith("("):
        return []
    depth, parts, cur = 0, [], ""
    for ch in text:
        if ch == "(":
            depth += 1
            if depth == 1:
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                parts.append(cur)
                break
        if depth == 1 and ch == ",":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    cols = []
    for part in parts:
        m = re.match(r'\s*("[^"]*"|\[[^\]]*\]|\w+)\s+(\w+(?:\s*\([^)]*\))?)', part)
        if m and m.group(1).lower() not in ("constraint", "primary", "unique", "foreign", "check"):
            cols.append((_unquote(m.group(1)), re.sub(r"\s+", "", m.group(2)).lower()))
    return cols


# --- the fake server ----------------------------------------------------------------------

NAME = r'((?:(?:"[^"]*"|\[[^\]]*\]|[\w#]+)?\.){0,2}(?:"[^"]*"|\[[^\]]*\]|[\w#]+))'


class FakeServer:
    def __init__(self, target: str):
        self.target = target
        self.schemas: set[str] = {"dbo"}
        self.relations: dict[tuple[str, str], dict] = {}
        self.statements: list[dict[str, Any]] = []
        self.digests: set[str] = set()
        self.renamed_views: list[str] = []
        self.lock = threading.Lock()

    # the catalog, from DDL
    def ddl(self, sql: str) -> None:
        self._ddl(QUERY_COMMENT.sub("", sql))
        for m in re.finditer(r"'([0-9a-f]{32})' as n?varchar\(32\)\) as _segment_rules", sql):
            self.digests.add(m.group(1))

    def _columns_of(self, select_sql: str) -> Columns:
        text = select_sql.strip().rstrip(";")
        while True:
            try:
                tree = sqlglot.parse_one(text, read="tsql")
                return Resolver(self.relations).query(tree, {})
            except Exception:
                cut = text.rfind(";")
                if cut < 0:
                    return []
                text = text[:cut]

    def _ddl(self, sql: str) -> None:
        """Apply the DDL of one batch in order, each EXEC('...') in its place."""
        spans = [
            (m.start(), m.end(), m.group(1).replace("''", "'")) for m in EXEC_STRING.finditer(sql)
        ]
        outside, pos = [], 0
        for a, b, inner in spans:
            outside.append((pos, sql[pos:a]))
            outside.append((-1, inner))
            pos = b
        outside.append((pos, sql[pos:]))
        for marker, text in outside:
            if marker == -1:
                self._ddl(text)
            else:
                self._ddl_flat(text)

    def _ddl_flat(self, sql: str) -> None:
        events = []
        for m in re.finditer(r"\bcreate\s+schema\s+" + NAME, sql, re.I):
            events.append((m.start(), "schema", m))
        for m in re.finditer(r"\bdrop\s+(table|view)\s+(?:if\s+exists\s+)?" + NAME, sql, re.I):
            events.append((m.start(), "drop", m))
        for m in re.finditer(
            r"\bsp_rename\s+(?:@objname\s*=\s*)?N?'([^']+)'\s*,\s*(?:@newname\s*=\s*)?N?'([^']+)'"
            r"(?:\s*,\s*(?:@objtype\s*=\s*)?N?'(\w+)')?",
            sql,
            re.I,
        ):
            events.append((m.start(), "sp_rename", m))
        for m in re.finditer(
            r"\brename\s+object\s+(?:::\s*)?" + NAME + r"\s+to\s+" + NAME, sql, re.I
        ):
            events.append((m.start(), "rename", m))
        for m in re.finditer(
            r"\bcreate\s+(?:or\s+alter\s+)?view\s+" + NAME + r"\s+as\b", sql, re.I
        ):
            events.append((m.start(), "view", m))
        for m in re.finditer(r"\bcreate\s+table\s+" + NAME, sql, re.I):
            events.append((m.start(), "table", m))
        for m in re.finditer(r"\bselect\s+\*\s+into\s+" + NAME + r"\s+from\s+" + NAME, sql, re.I):
            events.append((m.start(), "into", m))
        for _, kind, m in sorted(events, key=lambda e: e[0]):
            if kind == "schema":
                self.schemas.add(_unquote(m.group(1)).lower())
            elif kind == "drop":
                self.relations.pop(split_name(m.group(2)), None)
            elif kind in ("sp_rename", "rename"):
                if kind == "sp_rename" and m.group(3) and m.group(3).lower() != "object":
                    continue
                old = split_name(m.group(1))
                if old in self.relations:
                    if self.relations[old]["type"] == "view":
                        self.renamed_views.append(".".join(old))
                    new = (old[0], split_name(m.group(2))[1])
                    self.relations[new] = self.relations.pop(old)
            elif kind == "view":
                body = sql[m.end() :]
                self.relations[split_name(m.group(1))] = {
                    "type": "view",
                    "columns": self._columns_of(body),
                    "definition": sql[m.start() :].strip(),
                }
            elif kind == "table":
                rest = sql[m.end() :]
                ctas = re.match(
                    r"\s*(?:with\s*\((?:[^()]|\([^()]*\))*\)\s*)?as\s+(.*)", rest, re.I | re.S
                )
                if ctas:
                    cols = self._columns_of(ctas.group(1))
                else:
                    cols = column_definitions(rest)
                self.relations[split_name(m.group(1))] = {"type": "table", "columns": cols}
            elif kind == "into":
                src = self.relations.get(split_name(m.group(2)))
                self.relations[split_name(m.group(1))] = {
                    "type": "table",
                    "columns": list(src["columns"]) if src else [],
                }

    # answers: (column names, column types, rows)
    def answer(self, sql: str) -> tuple[list[str], list[str | None], list[tuple]] | None:
        s = QUERY_COMMENT.sub("", sql)
        low = s.lower()
        if "dm_exec_describe_first_result_set" in low or "sp_describe_first_result_set" in low:
            m = DESCRIBE_STRING.search(s)
            cols = self._columns_of(m.group(1).replace("''", "'")) if m else []
            rows = [(False, n, t or "varchar(8000)", None, None) for n, t in cols]
            if "sp_describe_first_result_set" in low:
                return (
                    ["is_hidden", "name", "system_type_name", "error_number", "error_message"],
                    ["bit", "nvarchar", "nvarchar", "int", "nvarchar"],
                    rows,
                )
            return (
                ["is_hidden", "name", "system_type_name", "error_number", "error_message"],
                ["bit", "nvarchar", "nvarchar", "int", "nvarchar"],
                rows,
            )
        if "schema_exist" in low and "sys.schemas" in low:
            m = re.search(r"name\s*=\s*'([^']*)'", s)
            return (
                ["schema_exist"],
                ["int"],
                [(int(bool(m) and m.group(1).lower() in self.schemas),)],
            )
        if re.search(r"name\s+as\s+\[schema\]\s+from\s+sys\.schemas", low):
            return ["schema"], ["varchar"], [(x,) for x in sorted(self.schemas)]
        if "sys.tables" in low and "sys.views" in low:
            m = re.search(
                r"schema_id\('([^']*)'\)|schema_name\(t\.schema_id\)\s+like\s+'([^']*)'",
                s,
                re.IGNORECASE,
            )
            schema = (m.group(1) or m.group(2)).lower() if m else "dbo"
            n = re.search(r"t\.name\s*(?:=|like)\s*'([^']*)'", s, re.IGNORECASE)
            rows = [
                ("customer360", name, schema, rel["type"])
                for (sch, name), rel in sorted(self.relations.items())
                if sch == schema and (not n or name == n.group(1).lower())
            ]
            return ["database", "name", "schema", "table_type"], ["varchar"] * 4, rows
        if "information_schema.tables" in low:
            sc = re.search(r"table_schema\s+like\s+'([^']*)'", s, re.IGNORECASE)
            n = re.search(r"table_name\s+like\s+'([^']*)'", s, re.IGNORECASE)
            schema = sc.group(1).lower() if sc else "dbo"
            rows = [
                ("customer360", name, schema, rel["type"])
                for (sch, name), rel in sorted(self.relations.items())
                if sch == schema and (not n or name == n.group(1).lower())
            ]
            return ["database", "name", "schema", "table_type"], ["varchar"] * 4, rows
        if "character_maximum_length" in low and (
            "sys.columns" in low or "information_schema.columns" in low
        ):
            m = re.search(r"object_id\('([^']*)'\)", s, re.IGNORECASE)
            if m:
                key = split_name(m.group(1))
            else:
                t = re.search(r"table_name\s*=\s*'([^']*)'", s, re.IGNORECASE)
                sc = re.search(r"table_schema\s*=\s*'([^']*)'", s, re.IGNORECASE)
                key = ((sc.group(1) if sc else "dbo").lower(), (t.group(1) if t else "").lower())
            rel = self.relations.get(key)
            rows = [(n, *type_parts(t)) for n, t in (rel["columns"] if rel else [])]
            return (
                [
                    "column_name",
                    "data_type",
                    "character_maximum_length",
                    "numeric_precision",
                    "numeric_scale",
                ],
                ["varchar", "varchar", "int", "int", "int"],
                rows,
            )
        if re.search(r"\bas\s+failures\b", low):
            return (
                ["failures", "should_warn", "should_error"],
                ["int", "varchar", "varchar"],
                [(0, "false", "false")],
            )
        # the project's own queries (macros/incremental/, macros/tests/get_where_subquery.sql)
        m = re.match(r"\s*select\s+max\((\w+)\)\s+as\s+latest\s+from\b", low)
        if m:
            value = LOAD_ID if m.group(1) == "_load_id" else EARLIER
            return ["latest"], [None], [(value,)]
        if re.search(r"\bas\s+new_records\b", low):
            # nothing_to_classify: new records, so that the incremental body is what is sent
            n = len(re.findall(r"\bas\s+parent_\d+\b", low))
            return (
                ["new_records", "classified_at", *(f"parent_{i + 1}" for i in range(n))],
                [None] * (n + 2),
                [(1, EARLIER, *([EARLIER] * n))],
            )
        if re.search(r"\bas\s+build_load\b", low):
            # build_loads: one load, so that the tests scoped to it take their filtered form
            return ["build_load"], [None], [(LOAD_ID,)]
        if re.search(r"\bas\s+older\s*$", low):
            # latest_build, a key test: this build wrote rows here, and earlier builds
            # did (the test then takes its filtered form)
            return ["written", "older"], ["int", "int"], [(1, 1)]
        if re.match(r"\s*select\s+case\s+when\s+exists\s*\(", low):
            return ["touched"], ["int"], [(1,)]
        if re.match(r"\s*select\s+min\(_segment_rules\)\s+as\s+low", low):
            digest = next(iter(self.digests), None)
            return ["low", "high"], [None, None], [(digest, digest)]
        m = re.match(r"\s*select\s+min\((\w+)\),\s*max\(\1\)\s+from\b", low)
        if m:
            # the latest rows are this build's (a test then reads only them)
            return ["min", "max"], [None, None], [(EARLIER, build_started() or LATER)]
        if re.search(r"\bselect\s+object_definition\(", low):
            # dbt-sqlserver's view skip check: the stored definition, metadata not stale
            m = re.search(r"quotename\('([^']*)'\)\s*\+\s*'\.'\s*\+\s*quotename\('([^']*)'\)", s)
            rel = self.relations.get((m.group(1).lower(), m.group(2).lower())) if m else None
            if rel is None or rel["type"] != "view":
                return ["definition", "needs_refresh"], ["nvarchar", "int"], []
            return (
                ["definition", "needs_refresh"],
                ["nvarchar", "int"],
                [(rel.get("definition", ""), 0)],
            )
        if "marker_count" in low and "sys.extended_properties" in low:
            return ["marker_count"], ["int"], [(0,)]
        if "as major_version" in low:
            return ["major_version"], ["int"], [(16,)]
        # a probe of a select's shape: every other select, answered with its columns, no row
        body = s.strip().rstrip(";")
        body = re.sub(r"^\s*use\s+\[[^\]]*\];", "", body, flags=re.IGNORECASE).strip()
        if re.match(r"(with|select)\b", body, re.IGNORECASE):
            cols = self._columns_of(body)
            if "actual_or_expected" in low and "actual_or_expected" not in [
                n.lower() for n, _ in cols
            ]:  # a unit test's comparison: no difference, whatever its columns
                cols.append(("actual_or_expected", "varchar(8)"))
            return [n for n, _ in cols], [t for _, t in cols], []
        # dbt-sqlserver's unit test batch (temp tables, then the comparison): the same
        if "actual_or_expected" in low:
            return ["actual_or_expected"], ["varchar(8)"], []
        return None

    def execute(self, sql: str, params: Any) -> tuple[list | None, list[tuple], int]:
        node = NODE_ID.search(sql)
        with self.lock:
            entry = {"node": node.group(1) if node else None, "sql": sql, "params": bool(params)}
            self.statements.append(entry)
            ans = self.answer(sql)
            self.renamed_views = []
            self.ddl(sql)
            if self.renamed_views:
                entry["renamed_views"] = self.renamed_views
        if ans is None:
            return None, [], 0
        names, typs, rows = ans
        description = [
            (n, python_type(t), None, None, None, None, True)
            for n, t in zip(names, typs, strict=True)
        ]
        return description, rows, len(rows)


# --- the fake pyodbc module ------------------------------------------------------------------


def fake_pyodbc(server: FakeServer) -> types.ModuleType:
    mod = types.ModuleType("pyodbc")

    class Error(Exception):
        pass

    class DatabaseError(Error):
        pass

    class InterfaceError(Error):
        pass

    class InternalError(DatabaseError):
        pass

    class OperationalError(DatabaseError):
        pass

    class ProgrammingError(DatabaseError):
        pass

    class Cursor:
        def __init__(self):
            self.description = None
            self.rowcount = -1
            self._rows: list[tuple] = []
            self.messages: list = []

        def execute(self, sql, *params):
            self.description, self._rows, n = server.execute(sql, params)
            self.rowcount = n if self.description is not None else 0
            return self

        def executemany(self, sql, seq):
            for p in seq:
                self.execute(sql, p)
            return self

        def fetchone(self):
            return self._rows.pop(0) if self._rows else None

        def fetchmany(self, size=1):
            out, self._rows = self._rows[:size], self._rows[size:]
            return out

        def fetchall(self):
            out, self._rows = self._rows, []
            return out

        def nextset(self):
            self.description, self._rows = None, []
            return False

        def close(self):
            pass

        def cancel(self):
            pass

    class Connection:
        def __init__(self):
            self.autocommit = True
            self.timeout = 0

        def cursor(self):
            return Cursor()

        def commit(self):
            pass

        def rollback(self):
            pass

        def close(self):
            pass

        def add_output_converter(self, *a):
            pass

    Cursor.__module__ = Connection.__module__ = "pyodbc"

    def connect(*args, **kwargs):
        return Connection()

    mod.connect = connect
    mod.pooling = True
    mod.native_uuid = False
    mod.Error, mod.DatabaseError, mod.InterfaceError = Error, DatabaseError, InterfaceError
    mod.InternalError, mod.OperationalError = InternalError, OperationalError
    mod.ProgrammingError = ProgrammingError
    mod.version = "fake"
    return mod


# --- the driver -------------------------------------------------------------------------


def run(target: str, out: Path) -> dict[str, float]:
    os.environ.update(PLACEHOLDERS)
    os.environ["DBT_PROFILES_DIR"] = str(REPO)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    server = FakeServer(target)
    sys.modules["pyodbc"] = fake_pyodbc(server)
    from dbt.cli.main import dbtRunner

    from loader.tsql_warehouse import schema_statements

    # The loader ran before dbt: its schemas and raw tables exist, with their columns (its
    # own DDL; it loads SQL Server and Synapse; Fabric's raw tables would be the same in
    # varchar, Fabric's only text type).
    for sql in schema_statements("synapse" if target == "synapse" else "sqlserver"):
        server.ddl(sql.replace("nvarchar(", "varchar(") if target == "fabric" else sql)

    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    common = [
        "--target",
        target,
        "--target-path",
        str(out / "target"),
        "--log-path",
        str(out / "logs"),
        "--no-use-colors",
        "--quiet",
    ]
    # Parsed once (no statement is sent); both builds run on that manifest.
    t0 = time.perf_counter()
    parsed = dbtRunner().invoke(["parse", *common])
    if not parsed.success:
        raise RuntimeError(f"dbt parse --target {target} failed: {parsed.exception}")
    timings["parse"] = time.perf_counter() - t0
    for scenario in ("first", "later"):
        server.statements = []
        t0 = time.perf_counter()
        res = dbtRunner(manifest=parsed.result).invoke(
            ["build", "--threads", "1", "--selector", SELECTION[scenario], *common]
        )
        timings[scenario] = time.perf_counter() - t0
        results = {}
        if res.result is not None and hasattr(res.result, "results"):
            for r in res.result.results:
                results[r.node.unique_id] = [str(r.status), r.message]
        (out / f"{scenario}.json").write_text(
            json.dumps(
                {
                    "target": target,
                    "target_path": str(out / "target"),
                    "success": bool(res.success),
                    "exception": repr(res.exception) if res.exception else None,
                    "results": results,
                    "statements": server.statements,
                    "relations": sorted(".".join(k) for k in server.relations),
                },
                indent=1,
            ),
            encoding="utf-8",
        )
    return timings


if __name__ == "__main__":
    os.chdir(REPO)
    print(json.dumps(run(sys.argv[1], Path(sys.argv[2]).resolve())))
