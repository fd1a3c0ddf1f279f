{{ stage_records('agents') }}
