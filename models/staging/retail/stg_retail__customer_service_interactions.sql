with

source as (

    select * from {{ source('retail', 'customer_service_interactions') }}

),

cleaned as (

    select
        {{ clean_text('interaction_id') }} as interaction_id,
        {{ clean_text('customer_id') }} as customer_id,
        {{ clean_text('date_time') }} as date_time,
        {{ clean_text('agent_id') }} as agent_id,
        {{ clean_text('issue_type') }} as issue_type,
        {{ clean_text('resolution_status') }} as resolution_status,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        interaction_id,
        customer_id,
        date_time,
        agent_id,
        issue_type,
        resolution_status,
        {{ format_flag('interaction_id', 'int') }} as _interaction_id_ok,
        {{ format_flag('customer_id', 'int') }} as _customer_id_ok,
        {{ format_flag('date_time', 'datetime') }} as _date_time_ok,
        {{ format_flag('agent_id', 'int') }} as _agent_id_ok,
        {{ format_flag('issue_type', 'text', 50) }} as _issue_type_ok,
        {{ format_flag('resolution_status', 'text', 50) }} as _resolution_status_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('interaction_id', 'int', '_interaction_id_ok') }} as interaction_id,
        {{ cast_checked('customer_id', 'int', '_customer_id_ok') }} as customer_id,
        {{ cast_checked('date_time', 'datetime', '_date_time_ok') }} as interaction_at,
        {{ cast_checked('agent_id', 'int', '_agent_id_ok') }} as agent_id,
        {{ cast_checked('issue_type', 'text', '_issue_type_ok', 50) }} as issue_type,
        {{ cast_checked('resolution_status', 'text', '_resolution_status_ok', 50) }} as resolution_status,
        {{ record_key(['interaction_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['interaction_id'],
            value_columns=['customer_id', 'date_time', 'agent_id', 'issue_type', 'resolution_status']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
