{#- The project's is_incremental(), for every engine (it overrides dbt's): lets the
    offline compile show either branch of an incremental model. -#}

{#- `dbt compile --vars '{offline_compile: true}'` (with --no-populate-cache and
    --no-introspect) compiles every model, incremental ones included, without asking the
    warehouse anything: is_incremental() is then false, so the full-refresh branch of an
    incremental model is what the compile shows, or true with `offline_incremental: true`
    as well, so that the incremental branch can be checked too (its watermark is then a
    placeholder literal, see load_watermark). Otherwise dbt's own is_incremental() decides. -#}
{% macro is_incremental() -%}
    {%- if var('offline_compile', false) -%}
        {{ return(var('offline_incremental', false) and model.config.materialized == 'incremental') }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{%- endmacro %}
