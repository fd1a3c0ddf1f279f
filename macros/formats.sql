{#- Value formats of CONTRACT.md section 1, checked before a value is cast.

    DuckDB's try_cast alone is too loose (it reads '7.5' as the integer 8 and '1e3'
    as 1000), so every value is first matched against its format. Each check is a
    predicate on a trimmed, non-NULL text value; the default versions use standard
    SQL (SIMILAR TO, which DuckDB and PostgreSQL run) and try_cast_text; the SQL
    Server / Synapse issue adds sqlserver__ / synapse__ versions. -#}

{#- Trim surrounding white space (space, tab, LF, VT, FF, CR); empty becomes NULL. -#}
{% macro clean_text(column) -%}
    nullif({{ trim_whitespace(column) }}, '')
{%- endmacro %}

{% macro trim_whitespace(column) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__trim_whitespace(column) -%}
    trim({{ column }})
{%- endmacro %}

{#- DuckDB's trim with a character set costs about 0.2 s per million values; most values
    have nothing to trim, so it runs only where the first or last character is white space
    (about twice as fast over a whole table, the same result). -#}
{% macro duckdb__trim_whitespace(column) -%}
    case
        when regexp_matches({{ column }}, '^[ \t\n\x0b\x0c\r]|[ \t\n\x0b\x0c\r]$')
            then trim({{ column }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
        else {{ column }}
    end
{%- endmacro %}

{#- Cast that yields NULL instead of failing (dbt-duckdb leaves dbt.safe_cast a plain cast). -#}
{% macro try_cast_text(expression, type) -%}
    {{ return(adapter.dispatch('try_cast_text', 'customer360')(expression, type)) }}
{%- endmacro %}

{% macro default__try_cast_text(expression, type) -%}
    {{ dbt.safe_cast(expression, type) }}
{%- endmacro %}

{% macro duckdb__try_cast_text(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}

{#- INT: an optional sign and decimal digits, within the 32-bit range. -#}
{% macro is_int_text(column) -%}
    {{ return(adapter.dispatch('is_int_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_int_text(column) -%}
    ({{ column }} similar to '[+-]?[0-9]+' and {{ try_cast_text(column, type_key_int()) }} is not null)
{%- endmacro %}

{#- DECIMAL(10,2): optional sign, digits, optionally '.' and digits; the value rounded
    to 2 places must fit DECIMAL(10,2), i.e. at most 8 digits before the point. -#}
{% macro is_decimal_text(column) -%}
    {{ return(adapter.dispatch('is_decimal_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_decimal_text(column) -%}
    ({{ column }} similar to '[+-]?[0-9]+([.][0-9]+)?' and {{ try_cast_text(column, type_money()) }} is not null)
{%- endmacro %}

{#- DATETIME: 'YYYY-MM-DD HH:MM:SS', optional fractional seconds, optional 'T'
    separator; a real calendar date (year 0001 to 9999) and time. -#}
{% macro is_datetime_text(column) -%}
    {{ return(adapter.dispatch('is_datetime_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_datetime_text(column) -%}
    ({{ column }} similar to '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?'
        and substring({{ column }}, 1, 4) <> '0000'
        and {{ try_cast_text('substring(' ~ column ~ ', 1, 10)', type_date()) }} is not null)
{%- endmacro %}

{#- DATE: 'YYYY-MM-DD', a real calendar date (year 0001 to 9999). -#}
{% macro is_date_text(column) -%}
    {{ return(adapter.dispatch('is_date_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_date_text(column) -%}
    ({{ column }} similar to '[0-9]{4}-[0-9]{2}-[0-9]{2}'
        and substring({{ column }}, 1, 4) <> '0000'
        and {{ try_cast_text(column, type_date()) }} is not null)
{%- endmacro %}

{#- Text: at most its declared length, in characters. -#}
{% macro is_text_within(column, length) -%}
    {{ return(adapter.dispatch('is_text_within', 'customer360')(column, length)) }}
{%- endmacro %}

{% macro default__is_text_within(column, length) -%}
    ({{ dbt.length(column) }} <= {{ length }})
{%- endmacro %}

{#- The check of a contract column kind (int, decimal, datetime, date, text). -#}
{% macro is_valid_text(column, kind, length=none) -%}
    {%- if kind == 'int' -%} {{ is_int_text(column) }}
    {%- elif kind == 'decimal' -%} {{ is_decimal_text(column) }}
    {%- elif kind == 'datetime' -%} {{ is_datetime_text(column) }}
    {%- elif kind == 'date' -%} {{ is_date_text(column) }}
    {%- elif kind == 'text' -%} {{ is_text_within(column, length) }}
    {%- else -%} {{ exceptions.raise_compiler_error("is_valid_text: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}

{#- 1 when the value is NULL or follows its format, else 0 (no boolean in a select list). -#}
{% macro format_flag(column, kind, length=none) -%}
    case when {{ column }} is null then 1 when {{ is_valid_text(column, kind, length) }} then 1 else 0 end
{%- endmacro %}

{#- The typed value of a checked column: NULL unless its flag says it follows its format. -#}
{% macro cast_checked(column, kind, flag, length=none) -%}
    {{ return(adapter.dispatch('cast_checked', 'customer360')(column, kind, flag, length)) }}
{%- endmacro %}

{% macro default__cast_checked(column, kind, flag, length=none) -%}
    {%- if kind == 'datetime' -%}
        {#- fractional seconds beyond microseconds are truncated, not rounded -#}
        {%- set value = 'substring(' ~ column ~ ', 1, 26)' -%}
    {%- else -%}
        {%- set value = column -%}
    {%- endif -%}
    case when {{ flag }} = 1 then {{ try_cast_text(value, type_of_kind(kind, length)) }} end
{%- endmacro %}

{#- The first format reason of CONTRACT.md section 2 (missing_key, invalid_key,
    invalid_value), from the texts of the key columns and the _<column>_ok flags. -#}
{% macro format_reason(key_columns, value_columns) -%}
    case
        when {% for column in key_columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
            then 'missing_key'
        when {% for column in key_columns %}_{{ column }}_ok = 0{% if not loop.last %} or {% endif %}{% endfor %}
            then 'invalid_key'
        when {% for column in value_columns %}_{{ column }}_ok = 0{% if not loop.last %} or {% endif %}{% endfor %}
            then 'invalid_value'
    end
{%- endmacro %}

{#- The raw key text of a record: the trimmed key texts joined with '|', a NULL part
    as empty text (so a missing single key is ''). -#}
{% macro record_key(key_columns) -%}
    {%- if key_columns | length == 1 -%}
        coalesce({{ key_columns[0] }}, '')
    {%- else -%}
        {%- set parts = [] -%}
        {%- for column in key_columns -%}
            {%- do parts.append('coalesce(' ~ column ~ ", '')") -%}
            {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
        {%- endfor -%}
        {{ dbt.concat(parts) }}
    {%- endif -%}
{%- endmacro %}
