{{ config(alias='customers') }}

with

classified as (

    select
        customer_id,
        name,
        email,
        address,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_customers__classified') }}
    where _rejection_reason is null

),

final as (

    select
        customer_id,
        name,
        email,
        address,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
