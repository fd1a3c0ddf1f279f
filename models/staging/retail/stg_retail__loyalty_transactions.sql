{{ config(alias='loyalty_transactions') }}

with

classified as (

    select
        loyalty_id,
        changed_at,
        points_change,
        reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_loyalty_transactions__classified') }}
    where _rejection_reason is null

),

final as (

    select
        loyalty_id,
        changed_at,
        points_change,
        reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
