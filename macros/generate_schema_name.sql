{#- Schemas are exactly raw, silver, gold and audit (CONTRACT.md section 3):
    a model's custom schema is used as is, never prefixed with the target's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
