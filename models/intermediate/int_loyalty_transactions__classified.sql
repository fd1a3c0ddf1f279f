{%- set spec = table_spec('loyalty_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('loyalty_transactions') }}
