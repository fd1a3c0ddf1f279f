{{ config(alias='stores') }}

with

classified as (

    select
        store_id,
        location,
        manager,
        open_hours,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_stores__classified') }}
    where _rejection_reason is null

),

final as (

    select
        store_id,
        location,
        manager,
        open_hours,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
