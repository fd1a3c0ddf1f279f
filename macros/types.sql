{#- Warehouse types of the contract (CONTRACT.md section 1) and of the gold measures.
    Every engine difference is a dispatched macro; models only call these. -#}

{#- INT of the seed's DDL: a 32-bit integer. -#}
{% macro type_key_int() -%}
    {{ return(adapter.dispatch('type_key_int', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_key_int() -%}
    integer
{%- endmacro %}

{#- DECIMAL(10,2) of the seed's DDL (Price, Amount). -#}
{% macro type_money() -%}
    {{ return(adapter.dispatch('type_money', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_money() -%}
    decimal(10, 2)
{%- endmacro %}

{#- Sums of money in gold: wide enough for 10M rows of DECIMAL(10,2). -#}
{% macro type_money_total() -%}
    {{ return(adapter.dispatch('type_money_total', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_money_total() -%}
    decimal(18, 2)
{%- endmacro %}

{#- Averages and rates in gold: 6 decimal places, as T-SQL's decimal division gives. -#}
{% macro type_ratio() -%}
    {{ return(adapter.dispatch('type_ratio', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_ratio() -%}
    decimal(18, 6)
{%- endmacro %}

{#- Counts in gold. -#}
{% macro type_count() -%}
    {{ return(adapter.dispatch('type_count', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_count() -%}
    bigint
{%- endmacro %}

{#- DATETIME of the seed's DDL (microseconds; datetime2 on T-SQL). -#}
{% macro type_datetime() -%}
    {{ return(adapter.dispatch('type_datetime', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_datetime() -%}
    timestamp
{%- endmacro %}

{#- DATE of the seed's DDL. -#}
{% macro type_date() -%}
    {{ return(adapter.dispatch('type_date', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_date() -%}
    date
{%- endmacro %}

{#- VARCHAR(n) of the seed's DDL. -#}
{% macro type_text(length) -%}
    {{ return(adapter.dispatch('type_text', 'customer360')(length)) }}
{%- endmacro %}

{% macro default__type_text(length) -%}
    varchar({{ length }})
{%- endmacro %}

{#- The warehouse type of a contract column kind: int, decimal, datetime, date or text. -#}
{% macro type_of_kind(kind, length=none) -%}
    {%- if kind == 'int' -%} {{ type_key_int() }}
    {%- elif kind == 'decimal' -%} {{ type_money() }}
    {%- elif kind == 'datetime' -%} {{ type_datetime() }}
    {%- elif kind == 'date' -%} {{ type_date() }}
    {%- elif kind == 'text' -%} {{ type_text(length) }}
    {%- else -%} {{ exceptions.raise_compiler_error("type_of_kind: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}
