{%- set spec = table_spec('loyalty_accounts') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('loyalty_accounts') }}
