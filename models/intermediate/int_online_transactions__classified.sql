{%- set spec = table_spec('online_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('online_transactions') }}
