with

source as (

    select * from {{ source('retail', 'loyalty_transactions') }}

),

cleaned as (

    select
        {{ clean_text('loyalty_id') }} as loyalty_id,
        {{ clean_text('date_time') }} as date_time,
        {{ clean_text('points_change') }} as points_change,
        {{ clean_text('reason') }} as reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        loyalty_id,
        date_time,
        points_change,
        reason,
        {{ format_flag('loyalty_id', 'int') }} as _loyalty_id_ok,
        {{ format_flag('date_time', 'datetime') }} as _date_time_ok,
        {{ format_flag('points_change', 'int') }} as _points_change_ok,
        {{ format_flag('reason', 'text', 100) }} as _reason_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('loyalty_id', 'int', '_loyalty_id_ok') }} as loyalty_id,
        {{ cast_checked('date_time', 'datetime', '_date_time_ok') }} as changed_at,
        {{ cast_checked('points_change', 'int', '_points_change_ok') }} as points_change,
        {{ cast_checked('reason', 'text', '_reason_ok', 100) }} as reason,
        {{ record_key(['loyalty_id', 'date_time']) }} as _record_key,
        {{ format_reason(
            key_columns=['loyalty_id', 'date_time'],
            value_columns=['points_change', 'reason']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
