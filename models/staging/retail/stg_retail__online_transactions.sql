with

source as (

    select * from {{ source('retail', 'online_transactions') }}

),

cleaned as (

    select
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('date_time') }} as date_time,
        {{ clean_text('payment_method') }} as payment_method,
        {{ clean_text('amount') }} as amount,
        {{ clean_text('status') }} as status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        order_id,
        customer_id,
        product_id,
        date_time,
        payment_method,
        amount,
        status,
        {{ format_flag('order_id', 'int') }} as _order_id_ok,
        {{ format_flag('customer_id', 'int') }} as _customer_id_ok,
        {{ format_flag('product_id', 'int') }} as _product_id_ok,
        {{ format_flag('date_time', 'datetime') }} as _date_time_ok,
        {{ format_flag('payment_method', 'text', 50) }} as _payment_method_ok,
        {{ format_flag('amount', 'decimal') }} as _amount_ok,
        {{ format_flag('status', 'text', 20) }} as _status_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('order_id', 'int', '_order_id_ok') }} as order_id,
        {{ cast_checked('customer_id', 'int', '_customer_id_ok') }} as customer_id,
        {{ cast_checked('product_id', 'int', '_product_id_ok') }} as product_id,
        {{ cast_checked('date_time', 'datetime', '_date_time_ok') }} as ordered_at,
        {{ cast_checked('payment_method', 'text', '_payment_method_ok', 50) }} as payment_method,
        {{ cast_checked('amount', 'decimal', '_amount_ok') }} as amount,
        {{ cast_checked('status', 'text', '_status_ok', 20) }} as status,
        {{ record_key(['order_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['order_id'],
            value_columns=['customer_id', 'product_id', 'date_time', 'payment_method', 'amount', 'status']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
