{{ config(materialized='view') }}

{#- Every customer, product, store and agent a classified record refers to, with when
    the record was classified. An incremental build recomputes the gold rows of the keys
    of the records classified since the gold model's latest `_built_at` (touched_keys).
    It reclassifies every record of a key it touches, earlier versions included, so the
    customer (or product, store, agent) an update moves a transaction away from is here
    too. A view: a filter on `_classified_at` reaches the eight tables' scans. -#}

{%- set keys = ['customer_id', 'product_id', 'store_id', 'agent_id'] %}
{#- The tables of the spec with any of those columns, and which. -#}
{%- set sources = [] %}
{%- for table in table_names() %}
{%- set columns = table_spec(table).columns | map(attribute='name') | select('in', keys) | list %}
{%- if columns %}{% do sources.append(('int_' ~ table ~ '__classified', columns)) %}{% endif %}
{%- endfor %}

with
{%- for model, columns in sources %}

{{ model | replace('int_', '') | replace('__classified', '') }} as (

    select
        {%- for key in keys %}
        {% if key in columns %}{{ key }}{% else %}cast(null as {{ type_key_int() }}){% endif %} as {{ key }},
        {%- endfor %}
        _classified_at
    from {{ ref(model) }}

),
{%- endfor %}

final as (

    {% for model, columns in sources -%}
    {% if not loop.first %}union all
    {% endif -%}
    select * from {{ model | replace('int_', '') | replace('__classified', '') }}
    {% endfor %}
)

select * from final
