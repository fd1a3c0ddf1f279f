{%- set spec = table_spec('loyalty_accounts') %}
{{ config(unique_key=spec.partition, dist=spec.dist.silver) }}

{{ silver_rows('loyalty_accounts') }}
