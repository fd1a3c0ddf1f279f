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
{% macro synapse__last_wins_row_number(key_columns, candidate_condition=none, order_by=['_load_id', '_source_row']) -%}
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
{% macro synapse__safe_ratio(numerator, denominator) -%} {{ sqlserver__safe_ratio(numerator, denominator) }} {%- endmacro %}
