{%- set spec = table_spec('products') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('products') }}
