{#- dbt's `where` test config, plus one form of ours: `latest_build:<column>` limits a
    test to what the latest build wrote, <column> being the relation's build time
    (`_classified_at` in silver, `_built_at` in gold). An incremental build rewrites only
    the rows of the keys (or customers) it touches; rows it did not write were tested by
    the build that wrote them, and a parent key, once in silver, never leaves. So:

    - a row test (not_null, accepted_values, relationships) reads the rows whose
      <column> is the relation's latest;
    - a key test (unique, composite_key) reads every row whose first key column is among
      those rows' keys, old rows included, so that a duplicate of a touched key is found.

    A first build or a full refresh writes every row with the same time: every test then
    reads the whole relation. `--vars '{test_every_row: true}'` (a nightly build, say)
    tests every row whatever the config. Any other `where` is dbt's, unchanged. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and where.startswith('latest_build:') -%}
        {%- if var('test_every_row', false) -%}
            {{ return(relation) }}
        {%- endif -%}
        {%- set column = where.split(':', 1)[1] | trim -%}
        {%- set latest -%}
            {{ column }} = (select max({{ column }}) from {{ relation }})
        {%- endset -%}
        {%- set kwargs = model.test_metadata.kwargs if model.test_metadata else {} -%}
        {%- set test_name = model.test_metadata.name if model.test_metadata else '' -%}
        {%- if test_name == 'unique' -%}
            {%- set key = kwargs.column_name -%}
        {%- elif test_name == 'composite_key' -%}
            {%- set key = kwargs.columns[0] -%}
        {%- else -%}
            {%- set key = none -%}
        {%- endif -%}
        {%- if key is not none -%}
            {%- set filtered -%}
                (select * from {{ relation }} where {{ key }} in (select {{ key }} from {{ relation }} where {{ latest }})) dbt_subquery
            {%- endset -%}
        {%- else -%}
            {%- set filtered -%}
                (select * from {{ relation }} where {{ latest }}) dbt_subquery
            {%- endset -%}
        {%- endif -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(dbt.default__get_where_subquery(relation)) }}
{%- endmacro %}
