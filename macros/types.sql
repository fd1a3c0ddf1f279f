{#- Warehouse types of the contract (CONTRACT.md section 1) and of the gold measures.
    Every engine difference is a dispatched macro; models only call these. T-SQL: a
    sqlserver__ variant serves SQL Server / Azure SQL; dbt-synapse dispatches synapse__,
    then fabric__, then default__, and dbt-fabric fabric__, then default__, so a fabric__
    variant serves Synapse and Fabric Warehouse, a synapse__ one only where Synapse
    differs from Fabric. dbt.type_* where dbt has the type (int, bigint, datetime2(6));
    exact decimals and bounded varchar otherwise: Synapse's columnstore tables take no
    varchar(max). -#}

{#- INT of the seed's DDL: a 32-bit integer. -#}
{% macro type_key_int() -%}
    {{ return(adapter.dispatch('type_key_int', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_key_int() -%}
    integer
{%- endmacro %}

{% macro sqlserver__type_key_int() -%} {{ dbt.type_int() }} {%- endmacro %}
{% macro fabric__type_key_int() -%} {{ sqlserver__type_key_int() }} {%- endmacro %}

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

{% macro sqlserver__type_count() -%} {{ dbt.type_bigint() }} {%- endmacro %}
{% macro fabric__type_count() -%} {{ sqlserver__type_count() }} {%- endmacro %}

{#- DATETIME of the seed's DDL (microseconds; datetime2 on T-SQL). -#}
{% macro type_datetime() -%}
    {{ return(adapter.dispatch('type_datetime', 'customer360')()) }}
{%- endmacro %}

{% macro default__type_datetime() -%}
    timestamp
{%- endmacro %}

{#- T-SQL: datetime2(6), microseconds as the contract's DATETIME (T-SQL's `timestamp`
    is a row version). -#}
{% macro sqlserver__type_datetime() -%} {{ dbt.type_timestamp() | lower }} {%- endmacro %}
{% macro fabric__type_datetime() -%} {{ sqlserver__type_datetime() }} {%- endmacro %}

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

{#- Text of the contract's length in characters (CONTRACT.md section 1). nvarchar, never
    varchar: under a code-page collation varchar replaces every character outside its code
    page with '?', and under a UTF-8 collation varchar(n) counts bytes. nvarchar(n) counts
    UTF-16 code units, and a character outside the Basic Multilingual Plane (an emoji) takes
    two, so n characters need nvarchar(2n); is_text_within counts the characters. -#}
{% macro sqlserver__type_text(length) -%} nvarchar({{ length * 2 }}) {%- endmacro %}
{% macro synapse__type_text(length) -%} {{ sqlserver__type_text(length) }} {%- endmacro %}
{#- Fabric Warehouse has no nvarchar in tables: varchar under its UTF-8 collation, where a
    character takes up to 4 bytes. -#}
{% macro fabric__type_text(length) -%} varchar({{ length * 4 }}) {%- endmacro %}

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
