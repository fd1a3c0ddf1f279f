{%- set spec = table_spec('customer_service_interactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('customer_service_interactions') }}
