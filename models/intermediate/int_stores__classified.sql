{%- set spec = table_spec('stores') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('stores') }}
