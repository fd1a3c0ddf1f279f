{#- `dbt compile --vars '{offline_compile: true}'` (with --no-populate-cache and
    --no-introspect) compiles every model, incremental ones included, without asking the
    warehouse anything: is_incremental() is then false, so the full-refresh branch of an
    incremental model is what the compile shows and what the T-SQL check parses.
    Otherwise dbt's own is_incremental() decides. -#}
{% macro is_incremental() -%}
    {%- if var('offline_compile', false) -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}
