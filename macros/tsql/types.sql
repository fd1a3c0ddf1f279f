{#- T-SQL types of the contract (SQL Server / Azure SQL, Synapse dedicated SQL pools and
    Fabric Warehouse). dbt-synapse dispatches synapse__, then fabric__, then default__;
    dbt-fabric fabric__, then default__: a fabric__ variant serves Synapse and Fabric, a
    synapse__ one only where Synapse differs from Fabric.
    dbt.type_* where dbt has the type (int, bigint, datetime2(6)); exact decimals and
    bounded varchar otherwise: Synapse's columnstore tables take no varchar(max). -#}

{% macro sqlserver__type_key_int() -%} {{ dbt.type_int() }} {%- endmacro %}
{% macro fabric__type_key_int() -%} {{ sqlserver__type_key_int() }} {%- endmacro %}

{% macro sqlserver__type_money() -%} decimal(10, 2) {%- endmacro %}
{% macro fabric__type_money() -%} {{ sqlserver__type_money() }} {%- endmacro %}

{% macro sqlserver__type_money_total() -%} decimal(18, 2) {%- endmacro %}
{% macro fabric__type_money_total() -%} {{ sqlserver__type_money_total() }} {%- endmacro %}

{% macro sqlserver__type_ratio() -%} decimal(18, 6) {%- endmacro %}
{% macro fabric__type_ratio() -%} {{ sqlserver__type_ratio() }} {%- endmacro %}

{% macro sqlserver__type_count() -%} {{ dbt.type_bigint() }} {%- endmacro %}
{% macro fabric__type_count() -%} {{ sqlserver__type_count() }} {%- endmacro %}

{#- datetime2(6): microseconds, as the contract's DATETIME on every engine. -#}
{% macro sqlserver__type_datetime() -%} {{ dbt.type_timestamp() | lower }} {%- endmacro %}
{% macro fabric__type_datetime() -%} {{ sqlserver__type_datetime() }} {%- endmacro %}

{% macro sqlserver__type_date() -%} date {%- endmacro %}
{% macro fabric__type_date() -%} {{ sqlserver__type_date() }} {%- endmacro %}

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
