{{ config(schema='audit') }}

{#- every classified record of the table spec's tables (table_names) with a reason; the
    reason was set in the intermediate models, the file's lineage is the ledger's
    (stg_retail__loads), joined in each table's CTE: one `loads` CTE shared by the nine
    would be materialized by DuckDB, and a query of a few columns (the accounting test's,
    the grain test's) would then compute every column of every rejected record (at 10M
    after a 1% delta, counting the rows of two loads: 0.52 s against 0.24 s).
    A classified record's key text is NULL where it is its typed key as text
    (typed_record_key): coalesce restores it, the text as read either way.
    A malformed record was never classified: its `_classified_at` is this view's build,
    so that the tests of every build read every malformed record (they are few).
    Every column is cast to its contract type (_audit__models.yml): the lengths are the
    raw layer's (a file name 255, a load id 32, a lake path 1024 characters); a record
    key 2000, whose nvarchar(4000) is T-SQL's largest bounded text. -#}
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
        classified._rejection_reason as reason,
        coalesce(classified._record_key, {{ typed_record_key(table_spec(table).key, 'classified.') }}) as _record_key,
        loads._source_file,
        classified._source_row,
        classified._load_id,
        loads._lake_path,
        classified._classified_at
    from {{ ref('int_' ~ table ~ '__classified') }} as classified
    left join {{ ref('stg_retail__loads') }} as loads
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
        cast({{ file_base_name('_source_file') }} as {{ type_text(255) }}) as source_table,
        cast(reason as {{ type_text(20) }}) as reason,
        cast(_record_key as {{ type_text(2000) }}) as record_key,
        cast(_source_file as {{ type_text(255) }}) as source_file,
        cast(_source_row as {{ dbt.type_bigint() }}) as source_row,
        cast(_load_id as {{ type_text(32) }}) as _load_id,
        cast(_lake_path as {{ type_text(1024) }}) as _lake_path,
        cast(_classified_at as {{ type_datetime() }}) as _classified_at
    from rejected

)

select * from final
