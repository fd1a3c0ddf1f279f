{%- set spec = table_spec('stores') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('stores') }}
