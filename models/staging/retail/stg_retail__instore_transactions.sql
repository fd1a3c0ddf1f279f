with

source as (

    select * from {{ source('retail', 'instore_transactions') }}

),

cleaned as (

    select
        {{ clean_text('transaction_id') }} as transaction_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('store_id') }} as store_id,
        {{ clean_text('date_time') }} as date_time,
        {{ clean_text('amount') }} as amount,
        {{ clean_text('payment_method') }} as payment_method,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        transaction_id,
        customer_id,
        store_id,
        date_time,
        amount,
        payment_method,
        {{ format_flag('transaction_id', 'int') }} as _transaction_id_ok,
        {{ format_flag('customer_id', 'int') }} as _customer_id_ok,
        {{ format_flag('store_id', 'int') }} as _store_id_ok,
        {{ format_flag('date_time', 'datetime') }} as _date_time_ok,
        {{ format_flag('amount', 'decimal') }} as _amount_ok,
        {{ format_flag('payment_method', 'text', 50) }} as _payment_method_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('transaction_id', 'int', '_transaction_id_ok') }} as transaction_id,
        {{ cast_checked('customer_id', 'int', '_customer_id_ok') }} as customer_id,
        {{ cast_checked('store_id', 'int', '_store_id_ok') }} as store_id,
        {{ cast_checked('date_time', 'datetime', '_date_time_ok') }} as purchased_at,
        {{ cast_checked('amount', 'decimal', '_amount_ok') }} as amount,
        {{ cast_checked('payment_method', 'text', '_payment_method_ok', 50) }} as payment_method,
        {{ record_key(['transaction_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['transaction_id'],
            value_columns=['customer_id', 'store_id', 'date_time', 'amount', 'payment_method']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
