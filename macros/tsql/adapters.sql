{#- What the project changes in the T-SQL adapters' own macros, each for a statement that
    SQL Server, Synapse or Fabric Warehouse would refuse or run differently from the
    contract (issue 14). tests/test_tsql_wrappers.py renders every statement the adapters
    send around the models and checks each. -#}

{#- Table and column comments: dbt-sqlserver writes them as extended properties; neither
    dbt-synapse nor dbt-fabric implements them (Synapse dedicated pools and Fabric
    Warehouse have no extended properties), and dbt's default raises an error. The
    descriptions stay in dbt docs there. -#}
{% macro fabric__persist_docs(relation, model, for_relation=true, for_columns=true) -%}
    {{ log("persist_docs: " ~ target.type ~ " keeps no comments; " ~ relation ~ " is described in dbt docs") }}
{%- endmacro %}

{#- The contract probe (the column names and types of a model's result, with no rows).
    dbt-fabric wraps the model in `with __dbt_sbq_tmp as (<model>)`, a WITH inside a WITH
    when the model starts with one, which Synapse refuses. A model that starts with WITH
    gets the probe as one more CTE of its own list instead. -#}
{% macro fabric__get_empty_subquery_sql(select_sql, select_sql_header=none) -%}
    {%- set parts = split_leading_ctes(select_sql) -%}
    {%- if parts is none -%}
    select * from (
        {{ select_sql }}
    ) as __dbt_sbq_tmp
    where 0 = 1
    {%- else -%}
    {{ parts[0] }},
    __dbt_sbq_tmp as (
        {{ parts[1] }}
    )
    select * from __dbt_sbq_tmp
    where 0 = 1
    {%- endif -%}
{%- endmacro %}

{#- [the WITH clause, the statement after it] of a query that starts with WITH, else none:
    the split is at the first SELECT outside parentheses, string literals, quoted names
    and comments (a CTE's body is inside its parentheses). -#}
{% macro split_leading_ctes(sql) -%}
    {%- set re = modules.re -%}
    {%- if not re.match('(?is)\\s*(--[^\\n]*\\n\\s*|/\\*.*?\\*/\\s*)*with\\b', sql) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set scan = namespace(depth=0, at=none) -%}
    {%- for token in re.finditer("(?is)'(?:[^']|'')*'|\\[[^\\]]*\\]|\"[^\"]*\"|--[^\\n]*|/\\*.*?\\*/|[()]|\\bselect\\b", sql) -%}
        {%- if scan.at is none -%}
            {%- set text = token.group(0) -%}
            {%- if text == '(' -%}
                {%- set scan.depth = scan.depth + 1 -%}
            {%- elif text == ')' -%}
                {%- set scan.depth = scan.depth - 1 -%}
            {%- elif text | lower == 'select' and scan.depth == 0 -%}
                {%- set scan.at = token.start() -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if scan.at is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return([sql[:scan.at].rstrip(), sql[scan.at:]]) }}
{%- endmacro %}

{#- Views on Synapse: dbt-fabric's view materialization renames the existing view to a
    backup first, and a dedicated SQL pool cannot rename a view (microsoft/dbt-fabric#108,
    microsoft/dbt-synapse#61), so every build after the first would fail. Here an existing
    view is altered in place (ALTER VIEW: readers never miss it); a table of the same name
    (a model that was a table before) is dropped first and the view created. -#}
{% materialization view, adapter='synapse' -%}
    {%- set target_relation = this.incorporate(type='view') -%}
    {%- set existing_relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- set grant_config = config.get('grants') -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- set replace_view = existing_relation is not none and existing_relation.is_view %}
    {%- if existing_relation is not none and not replace_view %}
        {%- do adapter.drop_relation(existing_relation) %}
    {%- endif %}

    {% call statement('main') -%}
        {%- if replace_view %}
        EXEC('alter view {{ target_relation.include(database=False) }} as {{ sql.replace("'", "''") }};');
        {%- else %}
        {{ get_create_view_as_sql(target_relation, sql) }}
        {%- endif %}
    {%- endcall %}

    {%- set should_revoke = should_revoke(existing_relation, full_refresh_mode=True) %}
    {%- do apply_grants(target_relation, grant_config, should_revoke=should_revoke) %}
    {%- do persist_docs(target_relation, model) %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{%- endmaterialization %}

{#- accepted_values compares text exactly (case_sensitive): under a case-insensitive
    collation, dbt's own test would group 'gold' with 'Gold' and accept it. -#}
{% macro sqlserver__test_accepted_values(model, column_name, values, quote=True) -%}
    {{ accepted_values_exactly(model, column_name, values, quote) }}
{%- endmacro %}

{% macro fabric__test_accepted_values(model, column_name, values, quote=True) -%}
    {{ accepted_values_exactly(model, column_name, values, quote) }}
{%- endmacro %}

{% macro accepted_values_exactly(model, column_name, values, quote=True) -%}
with all_values as (

    select
        {{ case_sensitive(column_name) }} as value_field,
        count(*) as n_records
    from {{ model }}
    group by {{ case_sensitive(column_name) }}

)

select *
from all_values
where value_field not in (
    {%- for value in values %}
    {% if quote %}{{ dbt.string_literal(value) }}{% else %}{{ value }}{% endif %}{% if not loop.last %},{% endif %}
    {%- endfor %}
)
{%- endmacro %}

{#- Synapse and Fabric: dbt-fabric runs every statement in autocommit (no dbt
    transaction), so its delete+insert could delete a key's rows and fail before
    inserting them again. The same two statements (the keys of the new rows deleted,
    the new rows inserted) run as one explicit transaction here (atomic_batch). SQL
    Server runs them inside dbt's own transaction already. -#}
{% macro fabric__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates=none) -%}
    {%- set columns = get_quoted_csv(dest_columns | map(attribute='name')) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set batch -%}
    delete from {{ target }}
    {%- if keys | length == 1 %}
    where {{ keys[0] }} in (select {{ keys[0] }} from {{ source }})
    {%- else %}
    where exists (
        select 1
        from {{ source }} as dbt_source
        where {% for key in keys %}dbt_source.{{ key }} = {{ adapter.quote(target.identifier) }}.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
    {%- endif %}
    {%- for predicate in incremental_predicates or [] %}
        and {{ predicate }}
    {%- endfor %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }}
    from {{ source }}
    {%- endset -%}
    {{ return(atomic_batch(batch)) }}
{%- endmacro %}
