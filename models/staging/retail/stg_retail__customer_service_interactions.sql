{{ config(alias='customer_service_interactions') }}

with

classified as (

    select
        interaction_id,
        customer_id,
        interaction_at,
        agent_id,
        issue_type,
        resolution_status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from {{ ref('int_customer_service_interactions__classified') }}
    where _rejection_reason is null

),

final as (

    select
        interaction_id,
        customer_id,
        interaction_at,
        agent_id,
        issue_type,
        resolution_status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at
    from classified

)

select * from final
