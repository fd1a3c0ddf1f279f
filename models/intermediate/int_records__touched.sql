{{ config(materialized='view') }}

{#- Every customer, product, store and agent a classified record refers to, with when
    the record was classified. An incremental build recomputes the gold rows of the keys
    of the records classified since the gold model's latest `_built_at` (touched_keys).
    It reclassifies every record of a key it touches, earlier versions included, so the
    customer (or product, store, agent) an update moves a transaction away from is here
    too. A view: a filter on `_classified_at` reaches the eight tables' scans. -#}

{%- set sources = [
    ('int_customers__classified', ['customer_id']),
    ('int_products__classified', ['product_id']),
    ('int_stores__classified', ['store_id']),
    ('int_agents__classified', ['agent_id']),
    ('int_online_transactions__classified', ['customer_id', 'product_id']),
    ('int_instore_transactions__classified', ['customer_id', 'store_id']),
    ('int_customer_service_interactions__classified', ['customer_id', 'agent_id']),
    ('int_loyalty_accounts__classified', ['customer_id']),
] %}
{%- set keys = ['customer_id', 'product_id', 'store_id', 'agent_id'] %}

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
