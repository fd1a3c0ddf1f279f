{%- set spec = table_spec('instore_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('instore_transactions') }}
