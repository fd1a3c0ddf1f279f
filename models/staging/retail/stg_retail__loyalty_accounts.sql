{{ config(alias='loyalty_accounts') }}

with

classified as (

    select
        loyalty_id,
        customer_id,
        points_earned,
        tier_level,
        joined_on,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_loyalty_accounts__classified') }}
    where _rejection_reason is null

),

final as (

    select
        loyalty_id,
        customer_id,
        points_earned,
        tier_level,
        joined_on,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
