{{ stage_records('products') }}
