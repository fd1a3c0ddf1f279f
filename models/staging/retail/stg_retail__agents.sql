{{ config(alias='agents') }}

with

classified as (

    select
        agent_id,
        name,
        department,
        shift,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_agents__classified') }}
    where _rejection_reason is null

),

final as (

    select
        agent_id,
        name,
        department,
        shift,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
