{#- Shared rules of the silver and gold models. -#}

{#- Last occurrence wins (CONTRACT.md section 2): 1 for the winning row of each key
    among the candidate rows, ordered by later load, then later record. Rows that are
    not candidates (already rejected) are numbered in a partition of their own. -#}
{% macro last_wins_row_number(key_columns, candidate_condition=none, order_by=['_load_id', '_source_row']) -%}
    {{ return(adapter.dispatch('last_wins_row_number', 'customer360')(key_columns, candidate_condition, order_by)) }}
{%- endmacro %}

{% macro default__last_wins_row_number(key_columns, candidate_condition=none, order_by=['_load_id', '_source_row']) -%}
    row_number() over (
        partition by
            {%- for column in key_columns %} {{ column }},{% endfor %}
            {%- if candidate_condition is not none %} case when {{ candidate_condition }} then 0 else 1 end
            {%- else %} 0{% endif %}
        order by {% for column in order_by %}{{ column }} desc{% if not loop.last %}, {% endif %}{% endfor %}
    )
{%- endmacro %}

{#- T-SQL refuses a constant in a window's PARTITION BY, so the candidate split is added
    only when there is a condition. -#}
{% macro sqlserver__last_wins_row_number(key_columns, candidate_condition=none, order_by=['_load_id', '_source_row']) -%}
    row_number() over (
        partition by
            {%- for column in key_columns %} {{ column }}{% if not loop.last or candidate_condition is not none %},{% endif %}{% endfor %}
            {%- if candidate_condition is not none %} case when {{ candidate_condition }} then 0 else 1 end{% endif %}
        order by {% for column in order_by %}{{ column }} desc{% if not loop.last %}, {% endif %}{% endfor %}
    )
{%- endmacro %}
{% macro fabric__last_wins_row_number(key_columns, candidate_condition=none, order_by=['_load_id', '_source_row']) -%}
    {{ sqlserver__last_wins_row_number(key_columns, candidate_condition, order_by) }}
{%- endmacro %}

{#- numerator / denominator in decimal arithmetic (never integer division), NULL when
    the denominator is 0, as type_ratio(). -#}
{% macro safe_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_ratio', 'customer360')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_ratio(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as decimal(38, 10))
        / nullif(cast({{ denominator }} as decimal(38, 10)), 0)
        as {{ type_ratio() }}
    )
{%- endmacro %}

{#- T-SQL divides integers as integers, so both operands are cast first; decimal(28, 10)
    keeps T-SQL's result scale at 10 before the final cast. -#}
{% macro sqlserver__safe_ratio(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as decimal(28, 10))
        / nullif(cast({{ denominator }} as decimal(28, 10)), 0)
        as {{ type_ratio() }}
    )
{%- endmacro %}
{% macro fabric__safe_ratio(numerator, denominator) -%} {{ sqlserver__safe_ratio(numerator, denominator) }} {%- endmacro %}

{#- column in (values), from a list var, compared exactly (case_sensitive); never true for
    an empty list. -#}
{% macro in_list(column, values) -%}
    {%- if values is string -%}{%- set values = [values] -%}{%- endif -%}
    {%- if values | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ case_sensitive(column) }} in ({% for value in values %}{{ dbt.string_literal(value) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#- A file's base name: 'OnlineTransactions.csv' -> 'OnlineTransactions'. -#}
{% macro file_base_name(column) -%}
    case
        when lower({{ dbt.right(column, 4) }}) = '.csv'
            then substring({{ column }}, 1, {{ dbt.length(column) }} - 4)
        else {{ column }}
    end
{%- endmacro %}

{#- Text compared exactly, case and accents included, as the contract compares it
    ('Resolved' is not 'resolved', 'Gold' is not 'gold'), whatever the database's default
    collation: for an equality, IN, GROUP BY or LIKE on text. DuckDB compares bytes
    already. -#}
{% macro case_sensitive(expression) -%}
    {{ return(adapter.dispatch('case_sensitive', 'customer360')(expression)) }}
{%- endmacro %}

{% macro default__case_sensitive(expression) -%}
    {{ expression }}
{%- endmacro %}

{#- A binary collation: code point by code point (SQL Server's and Synapse's default,
    SQL_Latin1_General_CP1_CI_AS, ignores case). -#}
{% macro sqlserver__case_sensitive(expression) -%}
    {{ expression }} collate Latin1_General_100_BIN2
{%- endmacro %}
{% macro synapse__case_sensitive(expression) -%} {{ sqlserver__case_sensitive(expression) }} {%- endmacro %}
{#- Fabric Warehouse has two collations, both UTF-8; this is the binary one. -#}
{% macro fabric__case_sensitive(expression) -%}
    {{ expression }} collate Latin1_General_100_BIN2_UTF8
{%- endmacro %}
