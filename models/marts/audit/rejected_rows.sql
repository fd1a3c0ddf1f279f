{{ config(schema='audit') }}

{#- every classified record of the table spec's tables (table_names) with a reason; the
    reason was set in the intermediate models.
    A malformed record was never classified: its `_classified_at` is this view's build,
    so that the tests of every build read every malformed record (they are few). -#}
{%- set tables = table_names() -%}

with

malformed_records as (

    select
        'malformed_line' as reason,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _lake_path,
        {{ run_started_literal() }} as _classified_at
    from {{ ref('stg_retail__malformed_records') }}

),
{% for table in tables %}
{{ table }} as (

    select
        _rejection_reason as reason,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _lake_path,
        _classified_at
    from {{ ref('int_' ~ table ~ '__classified') }}
    where _rejection_reason is not null

),
{% endfor %}
rejected as (

    select * from malformed_records
    {%- for table in tables %}
    union all
    select * from {{ table }}
    {%- endfor %}

),

final as (

    select
        {{ file_base_name('_source_file') }} as source_table,
        reason,
        _record_key as record_key,
        _source_file as source_file,
        _source_row as source_row,
        _load_id,
        _lake_path,
        _classified_at
    from rejected

)

select * from final
