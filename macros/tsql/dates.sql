{#- Calendar parts in T-SQL, independent of the session's SET LANGUAGE and SET DATEFIRST:
    no DATENAME (its names follow the language), no DATEPART(weekday) (it follows
    DATEFIRST). 1900-01-01 was a Monday, so the ISO day is the day count since then,
    modulo 7, plus 1 (kept non-negative for dates before 1900). -#}

{% macro sqlserver__iso_day_of_week(column) -%}
    cast(((datediff(day, cast('19000101' as date), {{ column }}) % 7 + 7) % 7) + 1 as {{ type_key_int() }})
{%- endmacro %}
{% macro fabric__iso_day_of_week(column) -%} {{ sqlserver__iso_day_of_week(column) }} {%- endmacro %}

{% macro sqlserver__hour_of_day(column) -%}
    cast(datepart(hour, {{ column }}) as {{ type_key_int() }})
{%- endmacro %}
{% macro fabric__hour_of_day(column) -%} {{ sqlserver__hour_of_day(column) }} {%- endmacro %}

{#- English names from the ISO day number (a CASE), never DATENAME. -#}
{% macro sqlserver__weekday_name(column) -%} {{ default__weekday_name(column) }} {%- endmacro %}
{% macro fabric__weekday_name(column) -%} {{ default__weekday_name(column) }} {%- endmacro %}
