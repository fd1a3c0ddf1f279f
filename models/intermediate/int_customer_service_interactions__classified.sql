{%- set spec = table_spec('customer_service_interactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('customer_service_interactions') }}
