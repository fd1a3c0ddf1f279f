{#- T-SQL types of the contract (SQL Server / Azure SQL and Synapse dedicated SQL pools).
    dbt.type_* where dbt has the type (int, bigint, datetime2(6)); exact decimals and
    bounded varchar otherwise: Synapse's columnstore tables take no varchar(max). -#}

{% macro sqlserver__type_key_int() -%} {{ dbt.type_int() }} {%- endmacro %}
{% macro synapse__type_key_int() -%} {{ sqlserver__type_key_int() }} {%- endmacro %}

{% macro sqlserver__type_money() -%} decimal(10, 2) {%- endmacro %}
{% macro synapse__type_money() -%} {{ sqlserver__type_money() }} {%- endmacro %}

{% macro sqlserver__type_money_total() -%} decimal(18, 2) {%- endmacro %}
{% macro synapse__type_money_total() -%} {{ sqlserver__type_money_total() }} {%- endmacro %}

{% macro sqlserver__type_ratio() -%} decimal(18, 6) {%- endmacro %}
{% macro synapse__type_ratio() -%} {{ sqlserver__type_ratio() }} {%- endmacro %}

{% macro sqlserver__type_count() -%} {{ dbt.type_bigint() }} {%- endmacro %}
{% macro synapse__type_count() -%} {{ sqlserver__type_count() }} {%- endmacro %}

{#- datetime2(6): microseconds, as the contract's DATETIME on every engine. -#}
{% macro sqlserver__type_datetime() -%} {{ dbt.type_timestamp() | lower }} {%- endmacro %}
{% macro synapse__type_datetime() -%} {{ sqlserver__type_datetime() }} {%- endmacro %}

{% macro sqlserver__type_date() -%} date {%- endmacro %}
{% macro synapse__type_date() -%} {{ sqlserver__type_date() }} {%- endmacro %}

{% macro sqlserver__type_text(length) -%} varchar({{ length }}) {%- endmacro %}
{% macro synapse__type_text(length) -%} {{ sqlserver__type_text(length) }} {%- endmacro %}
