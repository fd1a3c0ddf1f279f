{{ config(alias='products') }}

with

classified as (

    select
        product_id,
        name,
        category,
        price,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_products__classified') }}
    where _rejection_reason is null

),

final as (

    select
        product_id,
        name,
        category,
        price,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
