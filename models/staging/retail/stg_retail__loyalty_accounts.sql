with

source as (

    select * from {{ source('retail', 'loyalty_accounts') }}

),

cleaned as (

    select
        {{ clean_text('loyalty_id') }} as loyalty_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('points_earned') }} as points_earned,
        {{ clean_text('tier_level') }} as tier_level,
        {{ clean_text('join_date') }} as join_date,
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
        customer_id,
        points_earned,
        tier_level,
        join_date,
        {{ format_flag('loyalty_id', 'int') }} as _loyalty_id_ok,
        {{ format_flag('customer_id', 'int') }} as _customer_id_ok,
        {{ format_flag('points_earned', 'int') }} as _points_earned_ok,
        {{ format_flag('tier_level', 'text', 20) }} as _tier_level_ok,
        {{ format_flag('join_date', 'date') }} as _join_date_ok,
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
        {{ cast_checked('customer_id', 'int', '_customer_id_ok') }} as customer_id,
        {{ cast_checked('points_earned', 'int', '_points_earned_ok') }} as points_earned,
        {{ cast_checked('tier_level', 'text', '_tier_level_ok', 20) }} as tier_level,
        {{ cast_checked('join_date', 'date', '_join_date_ok') }} as joined_on,
        {{ record_key(['loyalty_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['loyalty_id'],
            value_columns=['customer_id', 'points_earned', 'tier_level', 'join_date']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
