"""What the T-SQL adapters really send, proved offline (issue 14, "the proof from now on").

``tests/tsql_harness.py`` runs ``dbt build`` for ``sqlserver``, ``synapse`` and
``fabric`` with the installed adapters' own materializations, in process, against a
recording fake ``pyodbc``: a first build (nothing exists) and a later build (everything
exists with its columns). Here:

- every node of both builds must succeed as dbt reports it (dbt's own checks run: the
  contract check compares the types the probe reports with the contract's, persist_docs
  calls the adapter's comment macros, ``on_schema_change`` compares columns);
- every statement sent, not only the model bodies (the wrappers: CREATE TABLE / VIEW,
  CTAS, EXEC('...') with its nested SQL unwrapped, sp_rename / RENAME OBJECT, IF
  OBJECT_ID, DROP, CREATE SCHEMA, extended properties, the contract probes, the test
  wrappers), is checked by ``statement_problems`` for what each engine refuses; a
  self-test proves it rejects one bad snippet per rule;
- the later build really is a later build: incremental models take their incremental
  branch, views are replaced, tests run again;
- the contract types of each T-SQL target's manifest are types that engine stores.

The fake answers catalog queries from the DDL it received and contract probes with the
types the probed select casts to; it executes nothing (see the harness's docstring).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot.tokens import TokenType

from tests.test_tsql_compile import tsql_problems
from tests.tsql_harness import EXEC_STRING, NAME, QUERY_COMMENT, column_definitions, nested_sql

REPO = Path(__file__).resolve().parents[1]
TARGETS = ("sqlserver", "synapse", "fabric")
SCENARIOS = ("first", "later")

# Column types no T-SQL target may be given: `timestamp` is rowversion on SQL Server (an
# 8-byte row counter, one per table, never a point in time) and unknown to Synapse and
# Fabric; T-SQL has no boolean type; text/ntext/image are deprecated LOBs that Synapse
# and Fabric do not store.
REFUSED_TYPES = {"timestamp", "rowversion", "boolean", "bool", "text", "ntext", "image"}
# Fabric Data Warehouse stores a subset of T-SQL's types (learn.microsoft.com/fabric/
# data-warehouse/data-types): no Unicode types (Parquet has none: use varchar, UTF-8),
# no datetime/smalldatetime/datetimeoffset (datetime2), no money (decimal), no tinyint.
FABRIC_REFUSED_TYPES = {
    "nvarchar",
    "nchar",
    "datetime",
    "smalldatetime",
    "datetimeoffset",
    "money",
    "smallmoney",
    "tinyint",
    "xml",
    "geography",
    "geometry",
    "sql_variant",
    "hierarchyid",
}
# ... and datetime2 / time with at most 6 digits of fraction (a bare datetime2 is 7).
SIX_DIGIT_TYPES = {"datetime2", "time"}
EXTENDED_PROPERTY = re.compile(
    r"\bsp_(?:add|update|drop)extendedproperty\b|\bcomment\s+on\s+(?:table|view|column)\b",
    re.IGNORECASE,
)
CREATE_VIEW = re.compile(r"\bcreate\s+(?:or\s+alter\s+)?view\s+" + NAME + r"\s+as\b", re.I)
# dbt-synapse's test wrapper: create the test schema if missing, then the query.
SCHEMA_BLOCK = re.compile(r"(?is)^\s*(?:--[^\n]*\n\s*)*if\s+not\s+exists\b.*?\bbegin\b.*?\bend\b")
EMPTY_NAME_BEFORE = {"view", "table", "schema", "from", "join", "into", "update", "exists"}


def _tokens(sql: str) -> list:
    return sqlglot.Dialect.get_or_raise("tsql").tokenize(sql)


def _texts(sql: str) -> list[str]:
    """A batch and every SQL text nested in it (EXEC('...'), the describe calls), each
    with its own nested ones blanked out, so that a construct is seen once, where it is."""
    out = []
    for text in [QUERY_COMMENT.sub("", sql), *nested_sql(sql)]:
        out.append(EXEC_STRING.sub("EXEC('')", text))
    return out


def _types_used(tokens: list, text: str) -> list[tuple[str, str | None]]:
    """(type name, its first parameter) of every cast/convert target and every column
    definition of a CREATE TABLE in text."""
    used = []
    for i, t in enumerate(tokens[:-1]):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1]
        is_cast_target = (
            prev is not None
            and prev.token_type == TokenType.ALIAS
            and (nxt.token_type in (TokenType.R_PAREN, TokenType.L_PAREN))
        )
        is_convert_target = (
            i >= 2
            and prev.token_type == TokenType.L_PAREN
            and tokens[i - 2].text.lower() in ("convert", "try_convert")
        )
        if is_cast_target or is_convert_target:
            param = None
            if nxt.token_type == TokenType.L_PAREN and i + 2 < len(tokens):
                param = tokens[i + 2].text
            used.append((t.text.lower(), param))
    for m in re.finditer(r"\bcreate\s+table\s+" + NAME, text, re.IGNORECASE):
        for _, typ in column_definitions(text[m.end() :]):
            base, _, rest = typ.partition("(")
            used.append((base, rest.split(",")[0].rstrip(")") or None))
    return used


def statement_problems(sql: str, engine: str, renamed_views: list[str] = ()) -> list[str]:
    """What ``engine`` (sqlserver, synapse or fabric) would refuse in one statement the
    adapter sends, wrappers included: empty list when nothing. ``renamed_views``: the
    views this statement renames (the fake server knows what each name is)."""
    problems: list[str] = []
    for text in _texts(sql):
        try:
            tokens = _tokens(text)
        except Exception as e:  # sqlglot's TokenError
            problems.append(f"does not tokenize as T-SQL: {e}")
            continue
        for i, t in enumerate(tokens):
            prev = tokens[i - 1] if i else None
            if t.token_type == TokenType.IDENTIFIER and t.text == "":
                problems.append('empty identifier ([] or "")')
            elif t.token_type == TokenType.DOT and (
                prev is None or prev.text.lower() in EMPTY_NAME_BEFORE
            ):
                nxt = tokens[i + 1].text if i + 1 < len(tokens) else ""
                nxt = re.sub(r"\d+", "N", nxt)  # dbt-synapse's random testview_<n>
                problems.append(f"empty identifier: a name starting with '.' (.{nxt})")
            elif (
                t.token_type == TokenType.WITH
                and prev is not None
                and prev.token_type == TokenType.L_PAREN
            ):
                problems.append(
                    "nested WITH: a WITH inside another statement's parentheses (T-SQL "
                    "allows a WITH only at the top; Fabric only as a preview feature)"
                )
        # the model and test bodies as the build renders them (the real watermarks, the
        # tests' latest_build filters, the adapters' wrappers): the model-body checker
        bodies = [text[m.end() :] for m in CREATE_VIEW.finditer(text)]
        query = SCHEMA_BLOCK.sub("", text).strip()
        query = re.sub(r"^(?:EXEC\(''\)\s*;?\s*)+", "", query).strip()  # a nested view
        query = re.sub(r"(?:;\s*EXEC\(''\)\s*;?\s*)+$", "", query).strip()
        if re.match(r"(?i)(with|select)\b", query) and re.search(r"(?i)\bas\s+failures\b", query):
            bodies.append(query)
        for body in bodies:
            for p in tsql_problems(body.strip().rstrip(";").strip()):
                problems.append(f"in a view or test body: {p}")
        for typ, param in _types_used(tokens, text):
            if typ in REFUSED_TYPES:
                problems.append(f"type {typ}: not a T-SQL column type for this data")
            elif engine == "fabric" and typ in FABRIC_REFUSED_TYPES:
                problems.append(f"type {typ}: Fabric Warehouse does not store it")
            elif (
                engine == "fabric"
                and typ in SIX_DIGIT_TYPES
                and (param is None or (param.isdigit() and int(param) > 6))
            ):
                problems.append(f"type {typ}({param or 7}): Fabric keeps at most 6 digits")
        if engine in ("synapse", "fabric") and EXTENDED_PROPERTY.search(text):
            problems.append(
                "comment (extended property / COMMENT ON): not in Synapse dedicated pools "
                "nor Fabric Warehouse"
            )
        if engine == "synapse":
            for m in re.finditer(r"\bsp_rename\b(?P<args>[^;]*)", text, re.IGNORECASE):
                if "'column'" not in m.group("args").lower():
                    problems.append(
                        "sp_rename of an object: a dedicated pool's sp_rename renames columns"
                        " only (RENAME OBJECT renames tables)"
                    )
            if re.search(r"\bcreate\s+or\s+alter\b", text, re.IGNORECASE):
                problems.append("CREATE OR ALTER: not in Synapse dedicated pools (ALTER VIEW is)")
            if re.search(r"\bdrop\s+(table|view)\s+if\s+exists\b", text, re.IGNORECASE):
                problems.append("DROP ... IF EXISTS: not in Synapse dedicated pools")
            if re.search(r"(^|;)\s*use\s+[\[\"\w]", text, re.IGNORECASE | re.MULTILINE):
                problems.append("USE: not in Synapse dedicated pools (connect to the pool)")
    if engine == "synapse" and renamed_views:
        problems.append(
            "rename of a view (sp_rename / RENAME OBJECT): a dedicated pool renames tables "
            "only, never views"
        )
    return sorted(set(problems))


# --- the checker checks ------------------------------------------------------------------

BAD = {
    "empty identifier []": (
        "synapse",
        "IF NOT EXISTS (SELECT * FROM sys.schemas WHERE "
        "name = '') BEGIN EXEC('CREATE SCHEMA []') END",
    ),
    "empty identifier .x": ("synapse", "EXEC('create view .testview_1 as select 1 as x;')"),
    'empty identifier ""': ("sqlserver", 'create view ""."x" as select 1 as x'),
    "type timestamp in DDL": ("sqlserver", 'create table "gold"."t" (_built_at timestamp)'),
    "type timestamp in a probe": (
        "sqlserver",
        "select * from (select cast(null as timestamp) as x) s",
    ),
    "type boolean": ("synapse", "select cast(x as boolean) as y from t"),
    "type text": ("synapse", 'create table "gold"."t" (name text, id int)'),
    "type nvarchar (fabric)": (
        "fabric",
        "EXEC('create view v as select cast(x as nvarchar(20)) as y from t')",
    ),
    "type datetime2 (fabric)": ("fabric", "select convert(datetime2, x) as y from t"),
    "type datetime2(7) (fabric)": ("fabric", 'create table "t" (a datetime2(7))'),
    "comment": (
        "synapse",
        "exec sys.sp_addextendedproperty @name = N'MS_Description', "
        "@value = N'x', @level0type = N'SCHEMA', @level0name = N'gold'",
    ),
    "comment (fabric)": ("fabric", "COMMENT ON TABLE gold.t IS 'x'"),
    "nested WITH": (
        "fabric",
        "with __dbt_sbq_tmp as (\n with a as (select 1 as x) "
        "select x from a) select * from __dbt_sbq_tmp where 0 = 1",
    ),
    "nested WITH in a subquery": (
        "sqlserver",
        "select * from (with a as (select 1 as x) select x from a) s where 1 = 0",
    ),
    "nested WITH in an EXEC": (
        "synapse",
        "EXEC('select * from (with a as (select 1 as x) select x from a) s')",
    ),
    "sp_rename": ("synapse", "EXEC sp_rename 'dbo.v', 'v__dbt_backup'"),
    "drop if exists": ("synapse", 'EXEC(\'DROP view IF EXISTS "dbo"."v";\')'),
    "USE": ("synapse", "USE [customer360];\nselect 1 as x"),
    "CREATE OR ALTER": ("synapse", 'EXEC(\'CREATE OR ALTER VIEW "dbo"."v" AS select 1 as x\')'),
    "in a view body": ("sqlserver", 'EXEC(\'create view "dbo"."v" as select x from t limit 5\')'),
    "in a test body": (
        "synapse",
        "IF NOT EXISTS (SELECT * FROM sys.schemas WHERE name = 'x') "
        "BEGIN EXEC('CREATE SCHEMA [x]') END select count(*) as failures from "
        "(select x from t where x::int > 1) dbt_internal_test",
    ),
}

GOOD = {
    "sqlserver": [
        'USE [customer360];\nEXEC(\'DROP view IF EXISTS "dbo"."v";\')',
        'EXEC(\'CREATE TABLE "gold"."t" (a INT, b datetime2(6), c varchar(20), '
        'd decimal(18,2))\nINSERT INTO "gold"."t" WITH (TABLOCK) ([a]) SELECT [a] FROM '
        "\"gold\".\"v\" OPTION (LABEL = ''dbt'');')",
        "EXEC sp_rename 'gold.t__dbt_tmp', 't'",
        "exec sys.sp_addextendedproperty @name = N'MS_Description', @value = N'x'",
        "select * from tempdb..#x",
        "select c.name collate database_default as column_name from sys.columns c with "
        "(nolock) where c.object_id = object_id('tempdb..#x')",
    ],
    "synapse": [
        'if object_id (\'"dbo"."v"\',\'V\') is not null begin drop view "dbo"."v" end',
        'CREATE TABLE "gold"."t" WITH (DISTRIBUTION = HASH(customer_id), CLUSTERED '
        'COLUMNSTORE INDEX) AS (SELECT * FROM "gold"."t__dbt_tmp_vw")',
        'rename object "gold"."t__dbt_tmp" to t',
        "EXEC sp_rename 'gold.t.a', 'b', 'COLUMN'",
        "IF NOT EXISTS (SELECT * FROM sys.schemas WHERE name = 'gold') BEGIN "
        "EXEC('CREATE SCHEMA [gold]') END",
    ],
    "fabric": [
        "USE [customer360];\nEXEC sp_rename 'dbo.t', 't__dbt_backup'",
        'create table "t" (a datetime2(6), b varchar(100), c bigint, d decimal(10,2))',
        "with __dbt_sbq_tmp as (select cast(null as datetime2(6)) as x) "
        "select * from __dbt_sbq_tmp where 0 = 1",
    ],
}


def test_the_statement_checker_rejects_each_bad_construct():
    for rule, (engine, sql) in BAD.items():
        problems = statement_problems(sql, engine)
        word = rule.split()[0].lower() if not rule.startswith("type") else rule.split()[1]
        assert any(word.strip("'\"") in p.lower() for p in problems), (rule, problems)
    assert statement_problems("EXEC('select 1 as x')", "synapse", ["dbo.v"])


def test_the_statement_checker_accepts_good_wrappers():
    for engine, statements in GOOD.items():
        for sql in statements:
            assert statement_problems(sql, engine) == [], (engine, sql)


# --- the builds --------------------------------------------------------------------------


def run_harness(target: str, out: Path) -> dict[str, dict]:
    r = subprocess.run(
        [sys.executable, "-m", "tests.tsql_harness", target, str(out)],
        cwd=REPO,
        env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, f"the harness failed for {target}:\n{r.stderr[-4000:]}"
    return {s: json.loads((out / f"{s}.json").read_text(encoding="utf-8")) for s in SCENARIOS}


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    cache: dict[str, dict[str, dict]] = {}

    def get(target: str) -> dict[str, dict]:
        if target not in cache:
            cache[target] = run_harness(target, tmp_path_factory.mktemp(f"build-{target}"))
        return cache[target]

    return get


def _first_line(message: str | None) -> str:
    lines = [x.strip() for x in (message or "").splitlines() if x.strip()]
    keep = [x for x in lines if not x.startswith(">")]
    return " / ".join(keep[:8])[:600]


@pytest.mark.parametrize("target", TARGETS)
def test_every_node_builds(target, builds):
    """dbt's own checks, as the adapter runs them: contract types, persist_docs,
    on_schema_change, tests; a first and a later build."""
    failed: dict[str, list[str]] = {}
    for scenario, build in builds(target).items():
        for uid, (status, message) in build["results"].items():
            if status not in ("success", "pass", "no-op") and message:  # not the skipped
                key = f"{scenario}: {_first_line(message).replace(uid.split('.')[2], '<node>')}"
                failed.setdefault(key, []).append(uid)
    summary = {k: f"{len(v)} node(s), e.g. {v[0]}" for k, v in failed.items()}
    assert summary == {}, json.dumps(summary, indent=1)


@pytest.mark.parametrize("target", TARGETS)
def test_every_statement_sent_is_accepted(target, builds):
    """Every statement of both builds, wrappers and nested SQL included."""
    problems: dict[str, list[tuple[str, int]]] = {}
    for scenario, build in builds(target).items():
        for n, s in enumerate(build["statements"]):
            found = statement_problems(s["sql"], target, s.get("renamed_views", []))
            for p in found:
                problems.setdefault(f"{scenario}: {p}", []).append((s["node"] or "no node", n))
    summary = {
        k: f"{len(v)} statement(s) of {len({node for node, _ in v})} node(s), e.g. "
        f"{v[0][0]} (statement #{v[0][1]})"
        for k, v in problems.items()
    }
    assert summary == {}, json.dumps(summary, indent=1)


@pytest.mark.parametrize("target", TARGETS)
def test_the_later_build_is_a_later_build(target, builds):
    """The later build found every relation: each incremental model took its incremental
    branch (the watermark the fake answered is in its SQL), each view model was created
    again (or altered in place), each data test ran again."""
    first, later = builds(target)["first"], builds(target)["later"]
    manifest = json.loads(
        (Path(first["target_path"]) / "manifest.json").read_text(encoding="utf-8")
    )
    nodes = manifest["nodes"]
    by_node: dict[str, str] = {}
    for s in later["statements"]:
        if s["node"]:
            by_node[s["node"]] = by_node.get(s["node"], "") + "\n" + s["sql"]
    checked = {"incremental": 0, "view": 0}
    for uid, node in nodes.items():
        materialized = node["config"].get("materialized")
        if node["resource_type"] != "model" or materialized not in checked:
            continue
        if later["results"].get(uid, ["?"])[0] != "success":
            continue  # test_every_node_builds says why
        checked[materialized] += 1
        sql = by_node.get(uid, "")
        if materialized == "incremental":
            flat = sql.replace("''", "'")
            assert (
                "_load_id > '20260101T000000000000Z'" in flat
                or "_classified_at > cast('2026-01-01 00:00:00.000000'" in flat
            ), f"{uid}: not its incremental branch"
        else:
            # created again, or altered in place (Synapse: macros/tsql/adapters.sql)
            assert re.search(r"\b(create\s+(or\s+alter\s+)?|alter\s+)view\b", sql, re.I), uid
    assert checked["incremental"] >= 20 and checked["view"] >= 10, checked
    tests = [u for u in nodes if u.startswith("test.")]
    passed_first = [u for u in tests if first["results"].get(u, ["?"])[0] == "pass"]
    assert passed_first, "no data test passed in the first build"
    assert all(later["results"].get(u, ["?"])[0] == "pass" for u in passed_first)


@pytest.mark.parametrize("target", TARGETS)
def test_incremental_deletes_and_inserts_are_one_atomic_batch(target, builds):
    """Issue 14, finding 8: in the later build, every incremental model deletes the rows
    it replaces and inserts the new ones in one statement batch, after the adapter built
    its temporary relation (no pre-hook runs a delete before it). On Synapse and Fabric,
    where dbt-fabric runs in autocommit, the batch is its own transaction that rolls back
    on error; on SQL Server it runs inside dbt's transaction of the model."""
    build = builds(target)["later"]
    manifest = json.loads(
        (Path(build["target_path"]) / "manifest.json").read_text(encoding="utf-8")
    )
    incremental = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    }
    assert len(incremental) >= 20, sorted(incremental)
    for uid, node in incremental.items():
        assert node["config"].get("pre-hook") == [], f"{uid}: a pre-hook"
        # the model's table, quoted "..." or [...], with or without its database
        q = r'["\[]{}["\]]'
        target_name = r"(?:{}\.)?{}\.{}".format(
            q.format(r"\w+"),
            q.format(re.escape(node["schema"])),
            q.format(re.escape(node["alias"])),
        )
        statements = [s["sql"] for s in build["statements"] if s["node"] == uid]
        deletes = [
            n
            for n, sql in enumerate(statements)
            if re.search(rf"delete\s+from\s+{target_name}\s", sql, re.I)
        ]
        assert len(deletes) == 1, f"{uid}: {len(deletes)} statements delete from the model"
        batch = statements[deletes[0]]
        assert re.search(rf"insert\s+into\s+{target_name}\s", batch, re.I), (
            f"{uid}: the delete and the insert are not one batch"
        )
        temp = [  # CTAS (Synapse, Fabric) or SELECT ... INTO (SQL Server) of the temp table
            n
            for n, sql in enumerate(statements)
            if re.search(r"(create\s+table|into)\s+\S*__dbt_tmp\b", sql, re.I)
        ]
        assert temp and min(temp) < deletes[0], f"{uid}: the delete runs before the temp relation"
        if target in ("synapse", "fabric"):
            flat = " ".join(batch.lower().split())
            assert "begin transaction; begin try" in flat, f"{uid}: no transaction of its own"
            assert "commit transaction; end try begin catch" in flat, uid
            assert "rollback transaction; throw; end catch" in flat, uid


@pytest.mark.parametrize("target", TARGETS)
def test_contract_types_are_types_the_engine_stores(target, builds):
    """The enforced contracts' data_type, as the target's manifest has them: a T-SQL
    target must never rely on an adapter translating `timestamp` (rowversion in T-SQL)."""
    build = builds(target)["first"]
    manifest = json.loads(
        (Path(build["target_path"]) / "manifest.json").read_text(encoding="utf-8")
    )
    wrong = {}
    for uid, node in manifest["nodes"].items():
        if not node["config"].get("contract", {}).get("enforced"):
            continue
        for name, col in node["columns"].items():
            base = (col.get("data_type") or "").split("(")[0].strip().lower()
            refused = REFUSED_TYPES | (FABRIC_REFUSED_TYPES if target == "fabric" else set())
            if base in refused or not base:
                wrong[f"{uid}.{name}"] = col.get("data_type")
    assert wrong == {}, json.dumps(wrong, indent=1)


# --- the fake server checks --------------------------------------------------------------


def test_the_fake_server_answers_as_a_server_would():
    from tests.tsql_harness import FakeServer

    server = FakeServer("synapse")
    server.ddl("EXEC('create schema [gold]')")
    server.ddl('create table "gold"."t" (a int, b nvarchar(40), c datetime2(6))')
    server.ddl(
        'EXEC(\'create view "gold"."v" as with x as (select a, cast(b as varchar(20)) '
        'as b2 from "gold"."t") select * from x\')'
    )
    assert "gold" in server.schemas
    cols = server.answer(
        "select column_name, data_type, character_maximum_length, numeric_precision, "
        "numeric_scale from INFORMATION_SCHEMA.COLUMNS where table_name = 'v' and "
        "table_schema = 'gold'"
    )
    assert cols[2] == [("a", "int", None, 10, 0), ("b2", "varchar", 20, None, None)]
    # the contract probe: the type each column is cast to, through CTEs and relations
    _, _, rows = server.answer(
        "select is_hidden, name, system_type_name, error_number, error_message from "
        "sys.dm_exec_describe_first_result_set(N'with y as (select c, cast(null as "
        'timestamp) as d from "gold"."t") select * from y\', null, 0)'
    )
    assert [(r[1], r[2]) for r in rows] == [("c", "datetime2(6)"), ("d", "timestamp")]
    description, rows, _ = server.execute(
        "select * from (select cast(null as timestamp) as d, cast(1 as bigint) as n) s where 1 = 0",
        (),
    )
    assert [(d[0], d[1]) for d in description] == [("d", bytearray), ("n", int)] and rows == []
    # renames and drops move the catalog; a renamed view is noted on its statement
    server.execute('rename object "gold"."v" to v__dbt_backup', ())
    assert server.statements[-1]["renamed_views"] == ["gold.v"]
    server.execute(
        "if object_id ('\"gold\".\"v__dbt_backup\"','V') is not null "
        'drop view "gold"."v__dbt_backup"',
        (),
    )
    relations = server.answer(
        "select table_catalog as [database], table_name as [name], table_schema as [schema], "
        "table_type from INFORMATION_SCHEMA.TABLES where table_schema like 'gold'"
    )
    assert relations[2] == [("customer360", "t", "gold", "table")]
