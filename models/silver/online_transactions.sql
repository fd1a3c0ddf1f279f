{%- set spec = table_spec('online_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('online_transactions') }}
