{%- set spec = table_spec('products') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('products') }}
