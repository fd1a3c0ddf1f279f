{%- set spec = table_spec('instore_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('instore_transactions') }}
