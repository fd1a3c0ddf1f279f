{#- The body of a staging view, stg_retail__<table> (models/staging/retail/), from the
    table spec: the raw table's text fields trimmed (empty as NULL), each checked against
    its format (a _<raw column>_ok flag) and cast to its contract type under its staged
    name, with the record's key text and first format reason (CONTRACT.md section 2). -#}

{#- Lineage columns of a raw record, in order: what differs from record to record. What
    a file's records share (its name, lake path and load time) is the ledger's
    (stg_retail__loads), joined where silver and the audit show it. -#}
{% macro _raw_lineage() -%}
    {{ return(['_source_row', '_load_id']) }}
{%- endmacro %}

{% macro stage_records(table) -%}
{%- set spec = table_spec(table) -%}
{%- set lineage = _raw_lineage() -%}
{%- set value_columns = [] -%}
{%- for column in spec.columns if column.raw not in spec.raw_key -%}
    {%- do value_columns.append(column.raw) -%}
{%- endfor -%}
with

source as (

    select * from {{ source('retail', table) }}

),

cleaned as (

    select
        {%- for column in spec.columns %}
        {{ clean_text(column.raw) }} as {{ column.raw }},
        {%- endfor %}
        {%- for column in lineage %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from source

),

checked as (

    select
        {%- for column in spec.columns %}
        {{ column.raw }},
        {%- endfor %}
        {%- for column in spec.columns %}
        {{ format_flag(column.raw, column.kind, column.length) }} as _{{ column.raw }}_ok,
        {%- endfor %}
        {%- for column in lineage %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from cleaned

),

final as (

    select
        {%- for column in spec.columns %}
        {{ cast_checked(column.raw, column.kind, '_' ~ column.raw ~ '_ok', column.length) }} as {{ column.name }},
        {%- endfor %}
        {{ record_key(spec.raw_key) }} as _record_key,
        {{ format_reason(
            key_columns=spec.raw_key,
            value_columns=value_columns
        ) }} as _format_reason,
        {%- for column in lineage %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from checked

)

select * from final
{%- endmacro %}
