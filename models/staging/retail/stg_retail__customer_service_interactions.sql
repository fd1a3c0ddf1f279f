{{ stage_records('customer_service_interactions') }}
