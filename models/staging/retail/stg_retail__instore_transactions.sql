{{ stage_records('instore_transactions') }}
