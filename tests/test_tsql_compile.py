"""The dbt project as valid T-SQL, proved offline (issue 5, parts 1 and 2).

``dbt compile --target sqlserver`` and ``--target synapse`` run with placeholder
credentials and no server (``--no-populate-cache``, ``--no-introspect`` and the
``offline_compile`` var, which makes ``is_incremental()`` false without asking the
server). Every compiled model and data test is then parsed with sqlglot's ``tsql``
dialect and checked for what SQL Server or Synapse refuse although the parser accepts
it. A self-test proves that the checker rejects one bad snippet per rule.

Also checked: every macro dispatched in ``macros/`` has its engine variants beside it,
a ``fabric__`` one wherever there is a ``sqlserver__`` one (dbt-fabric dispatches fabric,
then default, and dbt-synapse synapse, then fabric, then default, never sqlserver), and
none that only restates ``default__``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from tests.tsql_harness import PLACEHOLDERS

REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")

# Function names (as written, lower case) that SQL Server 2017+ / Synapse dedicated
# pools do not have, or that depend on the session's language or DATEFIRST.
DENIED_FUNCTIONS = {
    "dayname",
    "monthname",
    "strftime",
    "strptime",
    "try_strptime",
    "list",
    "list_value",
    "list_contains",
    "list_aggregate",
    "array_agg",
    "array_construct",
    "regexp_matches",
    "regexp_full_match",
    "regexp_extract",
    "regexp_replace",
    "regexp_like",
    "regexp_split_to_array",
    "date_trunc",
    "datetrunc",
    "date_part",
    "epoch",
    "epoch_ms",
    "epoch_us",
    "struct_pack",
    "split_part",
    "str_split",
    "string_split_regex",
    "extract",
    "chr",
    "length",
    "substr",
    "ifnull",
    "nvl",
    "now",
    "greatest",
    "least",
    "generate_series",
    "any_value",
    "bool_or",
    "bool_and",
    "count_if",
    "median",
    "quantile",
    "position",
    "strpos",
    "instr",
    "isodow",
    "dayofweek",
    "to_timestamp",
    "arg_max",
    "arg_min",
    "max_by",
    "min_by",
    "first",
    "last",
    "contains",
    "starts_with",
    "ends_with",
    "lpad",
    "rpad",
    "repeat",
    "md5",
    "hash",
    "uuid",
    "random",
    "printf",
    "format",
    "datename",
    "date_bucket",
    "string_to_array",
    "array_to_string",
    "unnest",
    "today",
}
# DATEPART's weekday follows SET DATEFIRST.
WEEKDAY_DATEPART = re.compile(r"\bdatepart\s*\(\s*(weekday|dw|w)\s*,", re.IGNORECASE)
# The boolean connectives a predicate may sit under on its way to a legal slot.
CONNECTIVES = (exp.And, exp.Or, exp.Not, exp.Paren)
PREDICATES = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.In,
    exp.Like,
    exp.ILike,
    exp.Is,
    exp.Between,
    exp.Exists,
    exp.SimilarTo,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
)
NON_INTEGER_TYPES = {"decimal", "numeric", "float", "real", "money", "double"}


def _tokens(sql: str) -> list:
    return sqlglot.Dialect.get_or_raise("tsql").tokenize(sql)


def _legal_predicate_slot(node: exp.Expression) -> bool:
    """A predicate is legal in WHERE, HAVING, JOIN ... ON and CASE WHEN / IIF conditions,
    reached through AND / OR / NOT / parentheses only."""
    child, parent = node, node.parent
    while isinstance(parent, CONNECTIVES):
        child, parent = parent, parent.parent
    if parent is None:
        return False
    key = child.arg_key
    return (
        (isinstance(parent, (exp.Where, exp.Having)) and key == "this")
        or (isinstance(parent, exp.Join) and key == "on")
        or (isinstance(parent, exp.If) and key == "this")
    )


def _non_integer(node: exp.Expression) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, (exp.Cast, exp.TryCast)):
        return node.to.this.value.lower() in NON_INTEGER_TYPES
    if isinstance(node, exp.Convert):
        to = node.args.get("this")
        return isinstance(to, exp.DataType) and to.this.value.lower() in NON_INTEGER_TYPES
    if isinstance(node, exp.Literal) and not node.is_string:
        return "." in node.this
    return False


def tsql_problems(sql: str) -> list[str]:
    """What SQL Server or Synapse would refuse in ``sql`` (a model or test body, which dbt
    wraps in a view): an empty list when there is nothing."""
    problems: list[str] = []
    try:
        tokens = _tokens(sql)
    except Exception as e:  # sqlglot's TokenError
        return [f"does not tokenize as T-SQL: {e}"]
    for i, t in enumerate(tokens):
        if t.token_type == TokenType.DCOLON:
            problems.append("'::' cast: use cast(x as type)")
        elif t.token_type in (TokenType.TRUE, TokenType.FALSE):
            problems.append(f"boolean literal {t.text}: T-SQL has no boolean type")
        elif t.token_type == TokenType.LIMIT:
            problems.append("LIMIT: use TOP or OFFSET ... FETCH")
        elif t.token_type == TokenType.QUALIFY:
            problems.append("QUALIFY: filter a row_number() in an outer query")
        elif t.token_type == TokenType.DPIPE:
            problems.append("'||' concatenation: use concat() or dbt.concat")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (
            nxt is not None
            and nxt.token_type == TokenType.L_PAREN
            and t.text.lower() in DENIED_FUNCTIONS
        ):
            problems.append(
                f"function {t.text}(): not in SQL Server / Synapse, or language-dependent"
            )
    if re.search(r"\bn?varchar\s*\(\s*max\s*\)", sql, re.IGNORECASE):
        problems.append("varchar(max): Synapse's columnstore tables take bounded types")
    if WEEKDAY_DATEPART.search(sql):
        problems.append("datepart(weekday, ...) follows SET DATEFIRST")
    try:
        statements = sqlglot.parse(sql, read="tsql")
    except Exception as e:  # sqlglot's ParseError
        return problems + [f"does not parse as T-SQL: {str(e).splitlines()[0]}"]
    if len([s for s in statements if s is not None]) != 1:
        return problems + ["expected exactly one statement"]
    root = statements[0]
    assert root is not None
    for node in root.walk():
        if isinstance(node, exp.With) and node.parent is not root:
            problems.append("nested WITH: T-SQL allows a WITH only at the top of a statement")
        elif isinstance(node, exp.Order) and isinstance(node.parent, (exp.Select, exp.Union)):
            q = node.parent
            if not (q.args.get("limit") or q.args.get("offset") or q.args.get("fetch")):
                problems.append("ORDER BY without TOP or OFFSET in a view body, CTE or subquery")
        elif isinstance(node, exp.Qualify):
            problems.append("QUALIFY")
        elif isinstance(node, exp.ILike):
            problems.append("ILIKE: use lower(x) like lower(y)")
        elif isinstance(node, exp.SimilarTo):
            problems.append("SIMILAR TO: use LIKE with character classes")
        elif isinstance(node, (exp.NullSafeEQ, exp.NullSafeNEQ)):
            problems.append("IS [NOT] DISTINCT FROM: not in Synapse or SQL Server < 2022")
        elif isinstance(node, exp.Boolean):
            problems.append("boolean literal")
        elif isinstance(node, exp.Join) and node.args.get("using"):
            problems.append("JOIN ... USING: use JOIN ... ON")
        elif (
            isinstance(node, exp.Window)
            and isinstance(node.this, exp.Count)
            and (isinstance(node.this.this, exp.Distinct))
        ):
            problems.append("COUNT(DISTINCT ...) OVER: not in T-SQL")
        elif isinstance(node, exp.Div) and not (
            _non_integer(node.this) or _non_integer(node.expression)
        ):
            problems.append(
                f"division {node.sql('tsql')[:60]}: cast an operand to decimal "
                "first (T-SQL divides integers as integers)"
            )
        if isinstance(node, PREDICATES) and not isinstance(node.parent, PREDICATES):
            if not _legal_predicate_slot(node):
                problems.append(
                    f"predicate used as a value: {node.sql('tsql')[:80]} (use "
                    "case when ... then 1 else 0 end)"
                )
    return problems


# --- the checker checks ------------------------------------------------------------------

BAD = {
    "nested WITH": "with a as (with b as (select 1 as x) select x from b) select x from a",
    "nested WITH in a subquery": "select x from (with b as (select 1 as x) select x from b) s",
    "ORDER BY": "with a as (select x from t order by x) select x from a",
    "top-level ORDER BY": "select x from t order by x",
    "QUALIFY": "select x from t qualify row_number() over (order by x) = 1",
    "LIMIT": "select x from t limit 5",
    "'::'": "select x::int as y from t",
    "boolean literal": "select true as y from t",
    "boolean literal in a where": "select x from t where true",
    "predicate used as a value": "select x, y = 1 or z = 2 as flag from t",
    "predicate in a function": "select coalesce(x > 1, 0) as y from t",
    "predicate in a case value": "select case when x = 1 then y > 2 end as z from t",
    "COUNT(DISTINCT": "select count(distinct x) over (partition by y) as n from t",
    "JOIN ... USING": "select a.x from a join b using (x)",
    "ILIKE": "select x from t where x ilike 'a%'",
    "dayname": "select dayname(x) as d from t",
    "strftime": "select strftime(x, '%A') as d from t",
    "list()": "select list(x) as l from t group by y",
    "regexp_matches": "select x from t where regexp_matches(x, '^[0-9]+$')",
    "date_trunc": "select date_trunc('day', x) as d from t",
    "extract": "select extract(isodow from x) as d from t",
    "SIMILAR TO": "select x from t where x similar to '[0-9]+'",
    "'||'": "select a || b as c from t",
    "datename": "select datename(weekday, x) as d from t",
    "datepart(weekday": "select datepart(weekday, x) as d from t",
    "division": "select sum(x) / count(*) as avg_x from t",
    "length()": "select length(x) as n from t",
    "IS [NOT] DISTINCT": "select x from t where a is distinct from b",
    "varchar(max)": "select cast(x as varchar(max)) as y from t",
    "predicate used as a value (LIKE)": "select x collate Latin1_General_100_BIN2 not like "
    "'%[^0-9]%' as y from t",
}

GOOD = """
with counted as (
    select customer_id, count(*) as n, sum(amount) as total
    from silver.orders
    where status = 'Completed' and (amount > 0 or amount is null) and not (x in (1, 2))
    group by customer_id
    having count(*) > 1
),
ranked as (
    select customer_id, n, total,
        row_number() over (partition by customer_id order by total desc) as rn,
        case when n = 1 and total >= 1000 then 1 else 0 end as flag,
        iif(n > 2, 'many', 'few') as size,
        cast(cast(total as decimal(38, 10)) / nullif(cast(n as decimal(38, 10)), 0)
            as decimal(18, 6)) as average,
        try_cast(n as int) as n_int,
        try_convert(datetime2(6), replace(substring(s, 1, 26), 'T', ' '), 121) as at,
        ((datediff(day, cast('19000101' as date), at) % 7 + 7) % 7) + 1 as iso_day,
        trim(concat(char(32), char(9)) from s) as trimmed,
        len(s) as s_len,
        case when x collate Latin1_General_100_BIN2 not like '%[^0-9]%' then 1 else 0 end
            as digits_only
    from counted c
    left join silver.customers cu on cu.customer_id = c.customer_id and cu.x <> 1
    where exists (select 1 from silver.stores st where st.id = c.customer_id)
),
top_rows as (select top 5 customer_id from ranked order by total desc)
select * from ranked
"""


def test_the_checker_rejects_each_bad_construct():
    for rule, sql in BAD.items():
        problems = tsql_problems(sql)
        assert problems, f"{rule}: not caught in {sql!r}"
        assert any(rule.split()[0].strip("'(").lower() in p.lower() for p in problems) or (
            rule.startswith(("predicate", "boolean", "top-level", "nested"))
        ), (rule, problems)


def test_the_checker_accepts_good_tsql():
    assert tsql_problems(GOOD) == []


# --- dispatch variants -------------------------------------------------------------------


def macro_sources() -> dict[str, str]:
    return {
        str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
        for p in sorted((REPO / "macros").rglob("*.sql"))
    }


MACRO = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\((.*?)\{%-?\s*endmacro\s*-?%\}", re.S)
ENGINES = ("default", "duckdb", "sqlserver", "synapse", "fabric")


def test_engine_variants_sit_beside_their_dispatcher():
    """Each macro dispatched in ``macros/`` has its engine variants in the dispatcher's
    own file; a T-SQL difference has a ``fabric__`` variant as well as the
    ``sqlserver__`` one (dbt-fabric dispatches fabric, then default, and dbt-synapse
    synapse, then fabric, then default, never sqlserver); and no variant only restates
    ``default__`` (dbt falls back to it by itself)."""
    where: dict[str, str] = {}
    bodies: dict[str, str] = {}
    dispatched: dict[str, str] = {}
    for path, text in macro_sources().items():
        for name, body in MACRO.findall(text):
            where[name], bodies[name] = path, body
        for name in re.findall(r"adapter\.dispatch\(\s*['\"](\w+)['\"]", text):
            dispatched[name] = path
    assert dispatched, "no dispatched macros found"
    misplaced, unpaired, restating = [], [], []
    for name, path in sorted(dispatched.items()):
        variants = [f"{engine}__{name}" for engine in ENGINES if f"{engine}__{name}" in where]
        assert f"default__{name}" in variants, f"{name} has no default__ variant"
        misplaced += [f"{v} ({where[v]}, not {path})" for v in variants if where[v] != path]
        if f"sqlserver__{name}" in where and f"fabric__{name}" not in where:
            unpaired.append(name)
        # a variant whose whole body is `{{ default__<name>(...) }}`
        only_default = rf"[^)]*\)\s*-?%\}}\s*\{{\{{\s*default__{name}\([^)]*\)\s*\}}\}}\s*"
        restating += [
            v for v in variants if v != f"default__{name}" and re.fullmatch(only_default, bodies[v])
        ]
    assert misplaced == []
    assert unpaired == [], (
        "a sqlserver__ variant without fabric__: Synapse and Fabric would take default__"
    )
    assert restating == []


# --- offline compiles ----------------------------------------------------------------------


OFFLINE_INCREMENTAL = {"offline_compile": True, "offline_incremental": True}


def offline_env() -> dict[str, str]:
    return {
        **os.environ,
        **PLACEHOLDERS,
        "DBT_PROFILES_DIR": str(REPO),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt_offline(target: str, out: Path, args: list[str]) -> subprocess.CompletedProcess:
    """``dbt compile --target <target>`` with placeholders and no server, into ``out``."""
    r = subprocess.run(
        [
            str(DBT),
            "compile",
            "--target",
            target,
            "--no-populate-cache",
            "--no-introspect",
            *args,
            "--target-path",
            str(out),
            "--log-path",
            str(out / "logs"),
            "--no-use-colors",
        ],
        cwd=REPO,
        env=offline_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, f"dbt compile --target {target} failed:\n{r.stdout[-4000:]}"
    log = (out / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")
    assert "Opening a new connection" not in log or "placeholder.invalid" not in log
    return r


def compile_offline(target: str, tmp: Path, incremental: bool = False) -> tuple[Path, float]:
    """``dbt compile --target <target>`` with placeholders and no server; the manifest.
    With ``incremental``, the incremental models only, their incremental branch."""
    out = tmp / f"tsql-{target}{'-incremental' if incremental else ''}"
    branch = (
        [
            "--vars",
            json.dumps(OFFLINE_INCREMENTAL),
            "--select",
            "config.materialized:incremental",
        ]
        if incremental
        else ["--vars", "{offline_compile: true}"]
    )
    t0 = time.perf_counter()
    dbt_offline(target, out, [*branch, "--no-partial-parse"])
    return out / "manifest.json", time.perf_counter() - t0


def compile_hook_offline(target: str, out: Path, hook: str, depends_on: list[str]) -> str:
    """A statement's Jinja rendered as a model's incremental branch renders it, by
    ``dbt compile --inline`` in the project compiled into ``out`` (so that dbt parses
    nothing again). ``this`` is then the inline node, not the model."""
    hints = "".join(f"-- depends_on: {{{{ ref('{name}') }}}}\n" for name in depends_on)
    inline = hints + "{{ config(materialized='incremental') }}" + hook
    r = dbt_offline(
        target, out, ["--vars", json.dumps(OFFLINE_INCREMENTAL), "--inline", inline, "--quiet"]
    )
    return "\n".join(
        line for line in r.stdout.splitlines() if not line.startswith("-- depends_on:")
    ).strip()


def compiled_nodes(manifest: Path) -> Iterator[tuple[str, str]]:
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    for uid, node in sorted(nodes.items()):
        if node["resource_type"] in ("model", "test") and node.get("compiled_code"):
            if node["resource_type"] == "model" and node["config"].get("materialized") in (
                "ephemeral",
            ):
                continue  # inlined into its readers, checked there
            yield uid, node["compiled_code"]


@pytest.mark.parametrize("target", ["sqlserver", "synapse", "fabric"])
def test_models_compile_offline_as_valid_tsql(target, tmp_path):
    manifest, seconds = compile_offline(target, tmp_path)
    nodes = list(compiled_nodes(manifest))
    models = [uid for uid, _ in nodes if uid.startswith("model.")]
    assert len(models) >= 1, "no compiled models"
    problems = {uid: p for uid, sql in nodes if (p := tsql_problems(sql))}
    assert problems == {}, json.dumps(problems, indent=1)
    if target == "synapse":
        check_synapse_settings(manifest)
    print(
        f"{target}: {len(models)} models and {len(nodes) - len(models)} tests compiled in "
        f"{seconds:.1f}s, all valid T-SQL"
    )


@pytest.mark.parametrize("target", ["sqlserver", "synapse", "fabric"])
def test_incremental_branches_compile_offline_as_valid_tsql(target, tmp_path):
    """The incremental models' other branch: the new loads after a watermark (a literal),
    reclassified with the earlier records of the keys they touch; silver from the
    records classified since its own watermark; gold (and the customer activity it
    reads) for the customers, products, stores and agents those records touch."""
    manifest, _ = compile_offline(target, tmp_path, incremental=True)
    nodes = dict(compiled_nodes(manifest))
    models = [uid for uid in nodes if uid.startswith("model.")]
    assert len(models) == 23, sorted(models)
    for uid in models:  # the incremental branch
        if uid.endswith("__classified"):
            assert "_load_id > ''" in nodes[uid], uid
        else:  # silver, and gold and customer_activity from the touched keys
            assert "_classified_at > cast('1900-01-01 00:00:00.000000' as" in nodes[uid], uid
    problems = {uid: p for uid, sql in nodes.items() if (p := tsql_problems(sql))}
    assert problems == {}, json.dumps(problems, indent=1)
    configs = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    touched = {"model.customer360.average_order_value", "model.customer360.agent_performance"}
    for uid in models:
        config = configs[uid]["config"]
        assert config["pre-hook"] == [], uid  # nothing runs outside the strategy's batch
        if uid in touched:  # the touched keys' rows deleted, then an insert, in one batch
            assert config["incremental_strategy"] == "delete_touched", uid
            keys = config["unique_key"]
            keys = [keys] if isinstance(keys, str) else keys
            delete = "{{ delete_touched_groups(" + repr(keys) + ") }}"
            check_delete_hook(target, manifest.parent, delete, configs[uid])
        else:
            assert config["incremental_strategy"] == "delete+insert", uid
            assert isinstance(config["unique_key"], str), uid  # one column: portable deletes


def check_delete_hook(target: str, out: Path, hook: str, node: dict) -> None:
    """The delete of a gold aggregate's delete_touched strategy: one DELETE of the rows
    whose key columns (any of them) the new records touch, valid T-SQL."""
    keys = re.findall(r"'(\w+)'", hook)
    assert keys, hook
    sql = compile_hook_offline(target, out, hook, ["int_records__touched"])
    assert tsql_problems(sql) == [], sql
    (statement,) = sqlglot.parse(sql, read="tsql")
    assert isinstance(statement, exp.Delete), sql
    assert statement.this.name == "inline_query", sql  # the model's own relation at run time
    touched = list(statement.find_all(exp.In))
    assert [i.this.name for i in touched] == keys, sql
    for i in touched:
        tables = {t.name for t in i.args["query"].find_all(exp.Table)}
        assert tables == {"int_records__touched"}, sql
    # the incremental branch: the records classified after the model's own watermark
    assert sql.count("_classified_at > cast('1900-01-01 00:00:00.000000' as") == len(keys), sql
    assert node["config"]["materialized"] == "incremental"


# --- engine settings (part 3) --------------------------------------------------------------

TRANSACTIONS = (
    "online_transactions",
    "instore_transactions",
    "customer_service_interactions",
    "loyalty_transactions",
)


def check_synapse_settings(manifest: Path) -> None:
    """Tables: clustered columnstore; silver transaction tables hash-distributed, silver
    dimensions replicated; no table left round robin."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    nodes_by_name = {n["name"]: n for n in nodes.values() if n["resource_type"] == "model"}
    tables = {
        n["name"]: n["config"]
        for n in nodes.values()
        if n["resource_type"] == "model" and n["config"]["materialized"] in ("table", "incremental")
    }
    assert tables, "no table models"
    for name, config in tables.items():
        assert config.get("index") == "CLUSTERED COLUMNSTORE INDEX", name
        dist = config.get("dist") or "ROUND_ROBIN"
        assert dist == "REPLICATE" or re.fullmatch(r"HASH\(\w+\)", dist), (name, dist)
        if nodes_by_name[name]["path"].startswith("silver/"):
            expected_hash = name in TRANSACTIONS
            assert dist.startswith("HASH") == expected_hash, (name, dist)


def test_sqlserver_behaviour_flags_are_explicit():
    import yaml

    flags = yaml.safe_load((REPO / "dbt_project.yml").read_text(encoding="utf-8"))["flags"]
    spec = importlib.util.find_spec("dbt.adapters.sqlserver.sqlserver_adapter")
    assert spec and spec.origin
    adapter = Path(spec.origin)
    known = set(re.findall(r'"name": "(dbt_sqlserver_\w+)"', adapter.read_text()))
    assert known and known <= set(flags), sorted(known - set(flags))
