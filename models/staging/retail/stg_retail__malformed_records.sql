with

source as (

    select * from {{ source('retail', 'malformed_records') }}

),

final as (

    select
        _table,
        {{ trim_whitespace('record_key') }} as _record_key,
        record_text,
        error,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

)

select * from final
