{#- The loads whose records' fate a `dbt build` decided or changed, for the tests that
    count or key records per load (the accounting test; the audit's grain test, through
    `where: "build_loads:<column>"`): every load with a record this build classified
    (a new load's, or an earlier one's reclassified: superseded, or an orphan whose parent
    arrived), and every load newer than the latest one classified before this build (a
    load whose every record is malformed has none classified). A load's files are checked
    whole, so that a test of them reads all their rows, old and new.

    A sorted list of load ids (the compiled SQL is the same for the same loads): empty in
    a build with no new load, so that those tests read nothing. None (every load) outside
    `dbt build`, with `--vars '{test_every_row: true}'`, at parse time and under the
    offline compile. The classified tables and the ledger are found in the graph (a
    test's refs are fixed at parse time; this runs at execution).
    The latest load classified before is the largest of the loads that have a record
    classified before: grouping the records by load first is what DuckDB does fastest
    on a column of few values (at 10M, the nine tables in 0.09 to 0.11 s, against 0.15
    to 0.17 s for the largest load id of the records classified before). -#}
{% macro build_loads() -%}
    {%- if flags.WHICH != 'build' or var('test_every_row', false) or var('offline_compile', false) or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set classified = [] -%}
    {%- for table in table_names() -%}
        {%- set node = graph.nodes['model.' ~ project_name ~ '.int_' ~ table ~ '__classified'] -%}
        {%- do classified.append(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) -%}
    {%- endfor -%}
    {%- set ledger = graph.sources['source.' ~ project_name ~ '.retail._loads'] -%}
    {%- set ledger = api.Relation.create(database=ledger.database, schema=ledger.schema, identifier=ledger.identifier) -%}
    {%- set now = run_started_literal() -%}
    {%- set query -%}
        select distinct _load_id as build_load
        from (
            {%- for relation in classified %}
            select _load_id from {{ relation }} where _classified_at = {{ now }}
            union all
            {%- endfor %}
            select load_id as _load_id
            from {{ ledger }}
            where load_id > (
                select coalesce(max(_load_id), '')
                from (
                    {%- for relation in classified %}
                    select _load_id
                    from {{ relation }}
                    group by _load_id
                    having min(_classified_at) < {{ now }}
                    {%- if not loop.last %}
                    union all
                    {%- endif %}
                    {%- endfor %}
                ) earlier
            )
        ) loads
    {%- endset -%}
    {{ return(run_query(query).columns[0].values() | sort) }}
{%- endmacro %}

{#- A condition that keeps the rows of the given loads (build_loads): `<column> in (...)`,
    `1 = 0` for none, `1 = 1` for every load (none). -#}
{% macro in_loads(column, loads) -%}
    {%- if loads is none -%}
        1 = 1
    {%- elif loads | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ column }} in ({% for load in loads %}{{ dbt.string_literal(load) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}
