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
