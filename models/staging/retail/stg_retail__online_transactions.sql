{{ stage_records('online_transactions') }}
