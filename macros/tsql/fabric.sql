{#- Fabric Warehouse only: the data test wrapper. -#}

{#- dbt-fabric's data test wrapper puts the test's query inside `with test_main_sql as
    (...)`: a WITH inside a WITH whenever the test starts with one (accepted_values,
    relationships, composite_key and the singular tests here). Fabric Warehouse takes a
    nested CTE only as a preview feature. A test that starts with WITH gets the wrapper's
    two CTEs appended to its own list instead (split_leading_ctes, macros/tsql/adapters.sql);
    the result is dbt-fabric's: failures, should_warn, should_error. -#}
{% macro fabric__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {%- set parts = split_leading_ctes(main_sql) -%}
    {%- if parts is none %}
  with test_main_sql as (
  {{ main_sql }}
  ),
    {%- else %}
  {{ parts[0] }},
  test_main_sql as (
  {{ parts[1] }}
  ),
    {%- endif %}
  dbt_internal_test as (
    select {{ "top (" ~ limit ~ ')' if limit != none }} * from test_main_sql
  )
  select
    {{ fail_calc }} as failures,
    case when {{ fail_calc }} {{ warn_if }}
      then 'true' else 'false' end as should_warn,
    case when {{ fail_calc }} {{ error_if }}
      then 'true' else 'false' end as should_error
  from dbt_internal_test
{%- endmacro %}

{#- dbt dispatches to the root project's macros first, whatever the prefix: without this,
    fabric__get_test_sql above would replace dbt-synapse's own test wrapper on Synapse
    too. Synapse keeps dbt-synapse's. -#}
{% macro synapse__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit) -%}
    {{ return(dbt.synapse__get_test_sql(main_sql, fail_calc, warn_if, error_if, limit)) }}
{%- endmacro %}

{#- dbt-fabric's unit test comparison (Synapse and Fabric: dbt-synapse has no variant)
    nests the model's query and the expected rows each in a `WITH … AS (WITH …)`, which
    Synapse refuses and Fabric takes only as a preview. Here one WITH list: the model's own
    CTEs (its fixtures included), the expected rows' CTEs if any, then dbt-fabric's. -#}
{% macro fabric__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {%- set main = split_leading_ctes(main_sql) -%}
    {%- set expected = split_leading_ctes(expected_fixture_sql) -%}
    {%- set leading_with = '(?is)^\\s*(?:--[^\\n]*\\n\\s*|/\\*.*?\\*/\\s*)*with\\b' -%}
with
    {%- if main is not none %}
{{ modules.re.sub(leading_with, '', main[0]) }},
    {%- endif %}
main_sql as (
    {{ main[1] if main is not none else main_sql }}
),
    {%- if expected is not none %}
{{ modules.re.sub(leading_with, '', expected[0]) }},
    {%- endif %}
expected_fixture_sql as (
    {{ expected[1] if expected is not none else expected_fixture_sql }}
),
dbt_internal_unit_test_actual as (
    select
        {% for expected_column_name in expected_column_names -%}
        {{ expected_column_name }},
        {% endfor -%}
        {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
    from main_sql
),
dbt_internal_unit_test_expected as (
    select
        {% for expected_column_name in expected_column_names -%}
        {{ expected_column_name }},
        {% endfor -%}
        {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
    from expected_fixture_sql
)
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected
{%- endmacro %}
