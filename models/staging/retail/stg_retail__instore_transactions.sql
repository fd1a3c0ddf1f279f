{{ config(alias='instore_transactions') }}

with

classified as (

    select
        transaction_id,
        customer_id,
        store_id,
        purchased_at,
        amount,
        payment_method,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_instore_transactions__classified') }}
    where _rejection_reason is null

),

final as (

    select
        transaction_id,
        customer_id,
        store_id,
        purchased_at,
        amount,
        payment_method,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
