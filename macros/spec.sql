{#- The table spec: the nine extracts of CONTRACT.md section 1, written once in
    dbt_project.yml (vars: tables) and read only here. -#}

{#- Every table's spec, by name, in the order of the spec (parents first). -#}
{% macro table_specs() -%}
    {%- set tables = var('tables', none) -%}
    {%- if tables is none -%}
        {{ exceptions.raise_compiler_error("table_specs: dbt_project.yml has no `tables` var (the table spec)") }}
    {%- endif -%}
    {{ return(tables) }}
{%- endmacro %}

{#- The names of the nine tables, in the order of the spec. -#}
{% macro table_names() -%}
    {{ return(table_specs().keys() | list) }}
{%- endmacro %}

{#- One table's spec, its defaults filled in: name, file, key (a list), raw_key (the key's
    raw column names), partition (the first key column unless given), dist
    ({classified, silver}), columns (each {name, raw, header, kind, length}; raw is the
    name unless given, length none unless text) and references (each {column, parent,
    parent_column}; none is an empty list). -#}
{% macro table_spec(table) -%}
    {%- set specs = table_specs() -%}
    {%- if table not in specs -%}
        {{ exceptions.raise_compiler_error("table_spec: no table '" ~ table ~ "' in the table spec (dbt_project.yml, vars: tables)") }}
    {%- endif -%}
    {%- set spec = specs[table] -%}
    {%- set columns = [] -%}
    {%- set raw_names = {} -%}
    {%- for column in spec['columns'] -%}
        {%- set raw = column.get('raw') or column['name'] -%}
        {%- do raw_names.update({column['name']: raw}) -%}
        {%- do columns.append({
            'name': column['name'],
            'raw': raw,
            'header': column.get('header'),
            'kind': column['kind'],
            'length': column.get('length'),
        }) -%}
    {%- endfor -%}
    {%- set raw_key = [] -%}
    {%- for column in spec['key'] -%}
        {%- do raw_key.append(raw_names[column]) -%}
    {%- endfor -%}
    {{ return({
        'name': table,
        'file': spec['file'],
        'key': spec['key'],
        'raw_key': raw_key,
        'partition': spec.get('partition') or spec['key'][0],
        'dist': spec['dist'],
        'columns': columns,
        'references': spec.get('references') or [],
    }) }}
{%- endmacro %}
