{{ stage_records('stores') }}
