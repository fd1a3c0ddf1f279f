{#- Calendar parts of a timestamp, the same on every engine and in every server language. -#}

{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(column) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(column) -%}
    cast(extract(isodow from {{ column }}) as {{ type_key_int() }})
{%- endmacro %}

{#- T-SQL: independent of the session's SET LANGUAGE and SET DATEFIRST (no DATENAME, no
    DATEPART(weekday)). 1900-01-01 was a Monday, so the ISO day is the day count since
    then, modulo 7, plus 1 (kept non-negative for dates before 1900). -#}
{% macro sqlserver__iso_day_of_week(column) -%}
    cast(((datediff(day, cast('19000101' as date), {{ column }}) % 7 + 7) % 7) + 1 as {{ type_key_int() }})
{%- endmacro %}
{% macro fabric__iso_day_of_week(column) -%} {{ sqlserver__iso_day_of_week(column) }} {%- endmacro %}

{#- Hour of the day, 0 to 23. -#}
{% macro hour_of_day(column) -%}
    {{ return(adapter.dispatch('hour_of_day', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__hour_of_day(column) -%}
    cast(extract(hour from {{ column }}) as {{ type_key_int() }})
{%- endmacro %}

{% macro sqlserver__hour_of_day(column) -%}
    cast(datepart(hour, {{ column }}) as {{ type_key_int() }})
{%- endmacro %}
{% macro fabric__hour_of_day(column) -%} {{ sqlserver__hour_of_day(column) }} {%- endmacro %}

{#- English day name of an ISO day number (1 = Monday), whatever the server's language. -#}
{% macro day_name_of_iso_day(iso_day) -%}
    case {{ iso_day }}
        when 1 then 'Monday'
        when 2 then 'Tuesday'
        when 3 then 'Wednesday'
        when 4 then 'Thursday'
        when 5 then 'Friday'
        when 6 then 'Saturday'
        when 7 then 'Sunday'
    end
{%- endmacro %}

{#- English day name of a timestamp: Monday ... Sunday, on every engine from the ISO day
    number (a CASE), never a day name function that follows the server's language. -#}
{% macro weekday_name(column) -%}
    {{ day_name_of_iso_day(iso_day_of_week(column)) }}
{%- endmacro %}
