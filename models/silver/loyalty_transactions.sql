{%- set spec = table_spec('loyalty_transactions') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('loyalty_transactions') }}
