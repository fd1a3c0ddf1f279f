{%- set spec = table_spec('customers') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('customers') }}
