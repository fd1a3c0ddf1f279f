{{ config(schema='audit') }}

{#- every classified record of the table spec's tables (table_names) with a reason; the
    reason was set in the intermediate models, the file's lineage is the ledger's
    (stg_retail__loads).
    A malformed record was never classified: its `_classified_at` is this view's build,
    so that the tests of every build read every malformed record (they are few). -#}
{%- set tables = table_names() -%}

with

loads as (

    select
        _table,
        _load_id,
        _source_file,
        _lake_path
    from {{ ref('stg_retail__loads') }}

),

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
        classified._rejection_reason as reason,
        classified._record_key,
        loads._source_file,
        classified._source_row,
        classified._load_id,
        loads._lake_path,
        classified._classified_at
    from {{ ref('int_' ~ table ~ '__classified') }} as classified
    left join loads
        on loads._table = {{ dbt.string_literal(table) }}
        and classified._load_id = loads._load_id
    where classified._rejection_reason is not null

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
