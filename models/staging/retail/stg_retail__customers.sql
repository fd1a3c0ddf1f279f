with

source as (

    select * from {{ source('retail', 'customers') }}

),

cleaned as (

    select
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('email') }} as email,
        {{ clean_text('address') }} as address,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        customer_id,
        name,
        email,
        address,
        {{ format_flag('customer_id', 'int') }} as _customer_id_ok,
        {{ format_flag('name', 'text', 100) }} as _name_ok,
        {{ format_flag('email', 'text', 100) }} as _email_ok,
        {{ format_flag('address', 'text', 255) }} as _address_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('customer_id', 'int', '_customer_id_ok') }} as customer_id,
        {{ cast_checked('name', 'text', '_name_ok', 100) }} as name,
        {{ cast_checked('email', 'text', '_email_ok', 100) }} as email,
        {{ cast_checked('address', 'text', '_address_ok', 255) }} as address,
        {{ record_key(['customer_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['customer_id'],
            value_columns=['name', 'email', 'address']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
