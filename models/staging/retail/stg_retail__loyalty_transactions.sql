{{ stage_records('loyalty_transactions') }}
