with

source as (

    select * from {{ source('retail', 'stores') }}

),

cleaned as (

    select
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('location') }} as location,
        {{ clean_text('manager') }} as manager,
        {{ clean_text('open_hours') }} as open_hours,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        store_id,
        location,
        manager,
        open_hours,
        {{ format_flag('store_id', 'int') }} as _store_id_ok,
        {{ format_flag('location', 'text', 100) }} as _location_ok,
        {{ format_flag('manager', 'text', 100) }} as _manager_ok,
        {{ format_flag('open_hours', 'text', 50) }} as _open_hours_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('store_id', 'int', '_store_id_ok') }} as store_id,
        {{ cast_checked('location', 'text', '_location_ok', 100) }} as location,
        {{ cast_checked('manager', 'text', '_manager_ok', 100) }} as manager,
        {{ cast_checked('open_hours', 'text', '_open_hours_ok', 50) }} as open_hours,
        {{ record_key(['store_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['store_id'],
            value_columns=['location', 'manager', 'open_hours']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
