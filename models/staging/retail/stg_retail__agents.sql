with

source as (

    select * from {{ source('retail', 'agents') }}

),

cleaned as (

    select
        {{ clean_text('agent_id') }} as agent_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('department') }} as department,
        {{ clean_text('shift') }} as shift,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        agent_id,
        name,
        department,
        shift,
        {{ format_flag('agent_id', 'int') }} as _agent_id_ok,
        {{ format_flag('name', 'text', 100) }} as _name_ok,
        {{ format_flag('department', 'text', 50) }} as _department_ok,
        {{ format_flag('shift', 'text', 50) }} as _shift_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('agent_id', 'int', '_agent_id_ok') }} as agent_id,
        {{ cast_checked('name', 'text', '_name_ok', 100) }} as name,
        {{ cast_checked('department', 'text', '_department_ok', 50) }} as department,
        {{ cast_checked('shift', 'text', '_shift_ok', 50) }} as shift,
        {{ record_key(['agent_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['agent_id'],
            value_columns=['name', 'department', 'shift']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
