{#- Schemas are exactly raw, silver, gold and audit (CONTRACT.md section 3):
    a model's custom schema is used as is, never prefixed with the target's. With no
    custom schema, or no argument at all (dbt-synapse's test wrapper calls
    generate_schema_name() for the schema of its test views), the target's schema. -#}
{% macro generate_schema_name(custom_schema_name=none, node=none) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
