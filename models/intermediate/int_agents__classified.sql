{%- set spec = table_spec('agents') %}
{{ config(unique_key=spec.partition, dist=spec.dist.classified) }}

{{ classify_records('agents') }}
