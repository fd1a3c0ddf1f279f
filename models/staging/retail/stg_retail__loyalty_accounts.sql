{{ stage_records('loyalty_accounts') }}
