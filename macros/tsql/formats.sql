{#- The value formats of CONTRACT.md section 1 in T-SQL, which has no regular
    expressions (SQL Server before 2025, Synapse): LIKE character classes under a binary
    collation (case_sensitive, so that [0-9] is exactly the ten ASCII digits, whatever
    the database's collation), then TRY_CAST / TRY_CONVERT with explicit ISO styles (never dependent on
    SET LANGUAGE or SET DATEFORMAT). Each check is a predicate on a trimmed, non-NULL
    text; each is used only in a WHERE or CASE WHEN, never as a value. -#}

{#- Trim space, tab, LF, VT, FF and CR (TRIM ... FROM: SQL Server 2017+, Synapse). -#}
{% macro sqlserver__trim_whitespace(column) -%}
    trim(concat(char(32), char(9), char(10), char(11), char(12), char(13)) from {{ column }})
{%- endmacro %}
{% macro fabric__trim_whitespace(column) -%} {{ sqlserver__trim_whitespace(column) }} {%- endmacro %}

{% macro sqlserver__try_cast_text(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}
{% macro fabric__try_cast_text(expression, type) -%} {{ sqlserver__try_cast_text(expression, type) }} {%- endmacro %}

{#- The text without one leading sign. -#}
{%- macro _tsql_unsigned(column) -%}
    (case when left({{ column }}, 1) in ('+', '-') then substring({{ column }}, 2, 4000) else {{ column }} end)
{%- endmacro %}

{#- INT: an optional sign and decimal digits only, within the 32-bit range. -#}
{% macro sqlserver__is_int_text(column) -%}
    ({{ _tsql_unsigned(column) }} <> ''
        and {{ case_sensitive(_tsql_unsigned(column)) }} not like '%[^0-9]%'
        and try_cast({{ column }} as {{ type_key_int() }}) is not null)
{%- endmacro %}
{% macro fabric__is_int_text(column) -%} {{ sqlserver__is_int_text(column) }} {%- endmacro %}

{#- DECIMAL(10,2): sign, digits, optionally '.' and digits; at most 8 digits before the
    point once rounded. Only the digits that decide the value are converted (see
    _tsql_decimal_digits): T-SQL refuses a decimal text of more than 38 digits, which the
    contract accepts and rounds. -#}
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

{#- DATETIME: 'YYYY-MM-DD HH:MM:SS' or with 'T', optional fractional seconds; a real
    date (style 23: yyyy-mm-dd) and a time within 00:00:00 to 23:59:59. -#}
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

{#- DATE: 'YYYY-MM-DD', a real calendar date. -#}
{% macro sqlserver__is_date_text(column) -%}
    (len({{ column }}) = 10
        and {{ case_sensitive(column) }} like '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
        and substring({{ column }}, 1, 4) <> '0000'
        and try_convert(date, {{ column }}, 23) is not null)
{%- endmacro %}
{% macro fabric__is_date_text(column) -%} {{ sqlserver__is_date_text(column) }} {%- endmacro %}

{#- Text within its declared length, in characters as the contract counts them (code
    points). LEN counts UTF-16 code units unless the collation is supplementary-character
    aware (_SC): an emoji is then one character, not two. (LEN ignores trailing spaces:
    the value is trimmed already.) -#}
{% macro sqlserver__is_text_within(column, length) -%}
    (len({{ column }} collate Latin1_General_100_CI_AS_SC) <= {{ length }})
{%- endmacro %}
{% macro synapse__is_text_within(column, length) -%} {{ sqlserver__is_text_within(column, length) }} {%- endmacro %}
{#- Fabric Warehouse: varchar under a UTF-8 collation, whose LEN counts characters. -#}
{% macro fabric__is_text_within(column, length) -%}
    (len({{ column }}) <= {{ length }})
{%- endmacro %}

{#- The typed value of a checked column. Timestamps: 'T' made a space, digits past the
    microsecond cut (not rounded), then style 121 (yyyy-mm-dd hh:mi:ss.fffffff). -#}
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
