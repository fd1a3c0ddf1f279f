{%- set spec = table_spec('agents') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('agents') }}
