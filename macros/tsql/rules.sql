{#- Shared rules in T-SQL. -#}

{#- Last occurrence wins. T-SQL refuses a constant in a window's PARTITION BY, so the
    candidate split is added only when there is a condition. -#}
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

{#- Decimal division, both operands cast first (T-SQL divides integers as integers);
    decimal(28, 10) keeps T-SQL's result scale at 10 before the final cast. -#}
{% macro sqlserver__safe_ratio(numerator, denominator) -%}
    cast(
        cast({{ numerator }} as decimal(28, 10))
        / nullif(cast({{ denominator }} as decimal(28, 10)), 0)
        as {{ type_ratio() }}
    )
{%- endmacro %}
{% macro fabric__safe_ratio(numerator, denominator) -%} {{ sqlserver__safe_ratio(numerator, denominator) }} {%- endmacro %}

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
