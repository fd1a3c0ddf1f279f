{{ config(alias='online_transactions') }}

with

classified as (

    select
        order_id,
        customer_id,
        product_id,
        ordered_at,
        payment_method,
        amount,
        status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_online_transactions__classified') }}
    where _rejection_reason is null

),

final as (

    select
        order_id,
        customer_id,
        product_id,
        ordered_at,
        payment_method,
        amount,
        status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
