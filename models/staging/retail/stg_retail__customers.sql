{{ stage_records('customers') }}
