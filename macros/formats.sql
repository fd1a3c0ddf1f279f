{#- Value formats of CONTRACT.md section 1, checked before a value is cast.

    DuckDB's try_cast alone is too loose (it reads '7.5' as the integer 8 and '1e3'
    as 1000), so every value is first matched against its format. Each check is a
    predicate on a trimmed, non-NULL text value; the default versions use standard
    SQL (SIMILAR TO, which DuckDB and PostgreSQL run) and try_cast_text. The T-SQL
    versions (sqlserver__; fabric__ for Synapse and Fabric Warehouse), used only in a
    WHERE or CASE WHEN, never as a value, have no regular expressions (SQL Server before
    2025, Synapse): LIKE character classes under a binary collation (case_sensitive, so
    that [0-9] is exactly the ten ASCII digits, whatever the database's collation), then
    TRY_CAST / TRY_CONVERT with explicit ISO styles (never dependent on SET LANGUAGE or
    SET DATEFORMAT). -#}

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

{#- T-SQL: TRIM ... FROM (SQL Server 2017+, Synapse, Fabric) of the same six characters. -#}
{% macro sqlserver__trim_whitespace(column) -%}
    trim(concat(char(32), char(9), char(10), char(11), char(12), char(13)) from {{ column }})
{%- endmacro %}
{% macro fabric__trim_whitespace(column) -%} {{ sqlserver__trim_whitespace(column) }} {%- endmacro %}

{#- DuckDB's trim with a character set costs about 0.2 s per million values; most values
    have nothing to trim, so it runs only where the first character is at most a space
    (`ord` of the empty text is -1) or the last is one of the six (LIKE with a fixed
    suffix compares bytes): the same result. About twice as fast over a whole table as
    trimming every value, and faster than taking the first and last characters as text
    (`[1]`, `[-1]`): the trimming in the staging view of 10M online transactions, on one
    core, took 8.2 to 8.6 s against 9.1 to 10.1 s (reading the raw view: 4.8 s). -#}
{% macro duckdb__trim_whitespace(column) -%}
    case
        when ord({{ column }}) <= 32
            {%- for code in [32, 9, 10, 11, 12, 13] %}
            or {{ column }} like ('%' || chr({{ code }}))
            {%- endfor %}
            then trim({{ column }}, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
        else {{ column }}
    end
{%- endmacro %}

{#- Cast that yields NULL instead of failing: dbt.safe_cast (try_cast on SQL Server,
    Synapse and Fabric), but dbt-duckdb leaves dbt.safe_cast a plain cast. -#}
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

{#- T-SQL (no regular expressions before SQL Server 2025): the text without one leading sign. -#}
{%- macro _tsql_unsigned(column) -%}
    (case when left({{ column }}, 1) in ('+', '-') then substring({{ column }}, 2, 4000) else {{ column }} end)
{%- endmacro %}

{% macro sqlserver__is_int_text(column) -%}
    ({{ _tsql_unsigned(column) }} <> ''
        and {{ case_sensitive(_tsql_unsigned(column)) }} not like '%[^0-9]%'
        and try_cast({{ column }} as {{ type_key_int() }}) is not null)
{%- endmacro %}
{% macro fabric__is_int_text(column) -%} {{ sqlserver__is_int_text(column) }} {%- endmacro %}

{#- DECIMAL(10,2): optional sign, digits, optionally '.' and digits; the value rounded
    to 2 places must fit DECIMAL(10,2), i.e. at most 8 digits before the point. -#}
{% macro is_decimal_text(column) -%}
    {{ return(adapter.dispatch('is_decimal_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_decimal_text(column) -%}
    ({{ column }} similar to '[+-]?[0-9]+([.][0-9]+)?' and {{ try_cast_text(column, type_money()) }} is not null)
{%- endmacro %}

{#- T-SQL: only the digits that decide the value are converted (_tsql_decimal_digits). -#}
{% macro sqlserver__is_decimal_text(column) -%}
    ({{ _tsql_unsigned(column) }} <> ''
        and {{ case_sensitive(_tsql_unsigned(column)) }} not like '%[^0-9.]%'
        and {{ _tsql_unsigned(column) }} not like '%.%.%'
        and left({{ _tsql_unsigned(column) }}, 1) <> '.'
        and right({{ _tsql_unsigned(column) }}, 1) <> '.'
        and try_cast({{ _tsql_decimal_digits(column) }} as {{ type_money() }}) is not null)
{%- endmacro %}
{% macro fabric__is_decimal_text(column) -%} {{ sqlserver__is_decimal_text(column) }} {%- endmacro %}

{#- The text of a decimal that follows its format, cut to the digits that decide its
    DECIMAL(10,2) value: the sign, the integer part without its leading zeros (after one
    '0', so that it is never empty), and three decimals. Rounding half away from zero to 2
    places depends on the third decimal only, so TRY_CAST of this text (which rounds half
    away from zero and fails on overflow) gives the full text's value, whatever its
    length. NULL stays NULL (CONCAT would make it '0.'). -#}
{%- macro _tsql_decimal_digits(column) -%}
    {%- set unsigned = _tsql_unsigned(column) -%}
    {%- set integer_part = 'substring(' ~ unsigned ~ ", 1, charindex('.', concat(" ~ unsigned ~ ", '.')) - 1)" -%}
    case when {{ column }} is not null then concat(
        case when left({{ column }}, 1) = '-' then '-' else '' end,
        '0',
        substring({{ integer_part }}, patindex('%[^0]%', concat({{ case_sensitive(integer_part) }}, 'x')), 4000),
        '.',
        substring({{ unsigned }}, charindex('.', concat({{ unsigned }}, '.')) + 1, 3)
    ) end
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

{#- T-SQL: a binary-collation LIKE, then the date part by style 23 (yyyy-mm-dd). -#}
{% macro sqlserver__is_datetime_text(column) -%}
    ({{ case_sensitive(column) }} like '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-2][0-9]:[0-5][0-9]:[0-5][0-9]%'
        and substring({{ column }}, 12, 2) <= '23'
        and (len({{ column }}) = 19
            or (substring({{ column }}, 20, 1) = '.' and len({{ column }}) > 20
                and {{ case_sensitive('substring(' ~ column ~ ', 21, 4000)') }} not like '%[^0-9]%'))
        and substring({{ column }}, 1, 4) <> '0000'
        and try_convert(date, substring({{ column }}, 1, 10), 23) is not null)
{%- endmacro %}
{% macro fabric__is_datetime_text(column) -%} {{ sqlserver__is_datetime_text(column) }} {%- endmacro %}

{#- DATE: 'YYYY-MM-DD', a real calendar date (year 0001 to 9999). -#}
{% macro is_date_text(column) -%}
    {{ return(adapter.dispatch('is_date_text', 'customer360')(column)) }}
{%- endmacro %}

{% macro default__is_date_text(column) -%}
    ({{ column }} similar to '[0-9]{4}-[0-9]{2}-[0-9]{2}'
        and substring({{ column }}, 1, 4) <> '0000'
        and {{ try_cast_text(column, type_date()) }} is not null)
{%- endmacro %}

{% macro sqlserver__is_date_text(column) -%}
    (len({{ column }}) = 10
        and {{ case_sensitive(column) }} like '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
        and substring({{ column }}, 1, 4) <> '0000'
        and try_convert(date, {{ column }}, 23) is not null)
{%- endmacro %}
{% macro fabric__is_date_text(column) -%} {{ sqlserver__is_date_text(column) }} {%- endmacro %}

{#- Text: at most its declared length, in characters. -#}
{% macro is_text_within(column, length) -%}
    {{ return(adapter.dispatch('is_text_within', 'customer360')(column, length)) }}
{%- endmacro %}

{% macro default__is_text_within(column, length) -%}
    ({{ dbt.length(column) }} <= {{ length }})
{%- endmacro %}

{#- T-SQL: characters as the contract counts them (code points). LEN counts UTF-16 code
    units unless the collation is supplementary-character aware (_SC): an emoji is then
    one character, not two. (LEN ignores trailing spaces: the value is trimmed already.) -#}
{% macro sqlserver__is_text_within(column, length) -%}
    (len({{ column }} collate Latin1_General_100_CI_AS_SC) <= {{ length }})
{%- endmacro %}
{% macro synapse__is_text_within(column, length) -%} {{ sqlserver__is_text_within(column, length) }} {%- endmacro %}
{#- Fabric Warehouse: varchar under a UTF-8 collation, whose LEN counts characters. -#}
{% macro fabric__is_text_within(column, length) -%}
    (len({{ column }}) <= {{ length }})
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

{#- T-SQL: timestamps have 'T' made a space and digits past the microsecond cut (not
    rounded), then style 121 (yyyy-mm-dd hh:mi:ss.fffffff); dates style 23. -#}
{% macro sqlserver__cast_checked(column, kind, flag, length=none) -%}
    {%- if kind == 'datetime' -%}
        case when {{ flag }} = 1 then try_convert({{ type_datetime() }}, replace(substring({{ column }}, 1, 26), 'T', ' '), 121) end
    {%- elif kind == 'date' -%}
        case when {{ flag }} = 1 then try_convert({{ type_date() }}, {{ column }}, 23) end
    {%- elif kind == 'decimal' -%}
        case when {{ flag }} = 1 then try_cast({{ _tsql_decimal_digits(column) }} as {{ type_money() }}) end
    {%- else -%}
        case when {{ flag }} = 1 then try_cast({{ column }} as {{ type_of_kind(kind, length) }}) end
    {%- endif -%}
{%- endmacro %}
{% macro fabric__cast_checked(column, kind, flag, length=none) -%} {{ sqlserver__cast_checked(column, kind, flag, length) }} {%- endmacro %}

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

{#- The key text a classified record leaves out (`_record_key` NULL): its typed key as
    this engine writes it as text, joined as record_key joins the raw texts. A classified
    record stores its key as read only where it differs from this, code point by code
    point (a sign, leading zeros, another way of writing a time, an invalid key); the
    audit, which shows it, restores it as coalesce(_record_key, this), the same text.
    Writing every record's key text was a third of writing the classified online
    transactions at 10M (2 s of 6 s); with the comparison, building that table from
    staged records took 11.0 to 12.8 s against 12.1 to 13.6 s. prefix: a relation name
    and a dot, or ''. -#}
{% macro typed_record_key(key_columns, prefix='') -%}
    {%- set texts = [] -%}
    {%- for column in key_columns -%}
        {%- do texts.append('cast(' ~ prefix ~ column ~ ' as ' ~ type_text(2000) ~ ')') -%}
    {%- endfor -%}
    {{ record_key(texts) }}
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
