{#- Two grains in one relation (CONTRACT.md section 3): online orders per product,
    in-store transactions per store. Every status counts; a NULL product or store is
    left out. Incrementally, the rows of the touched products and stores are deleted
    and inserted again, recomputed, in one batch (the delete_touched strategy). -#}

{#- Synapse: a small aggregate, replicated to every compute node. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete_touched',
    unique_key=['product_id', 'store_id'],
    dist='REPLICATE',
) }}

{%- set touched_products = touched_keys('product_id') %}
{%- set touched_stores = touched_keys('store_id') %}
{%- set product_scope = touched_scope(touched_products) %}
{%- set store_scope = touched_scope(touched_stores) %}

with
{%- if is_incremental() %}

touched_products as (
{{ touched_products }}

),

touched_stores as (
{{ touched_stores }}

),
{%- endif %}

online_transactions as (

    select
        product_id,
        amount
    from {{ ref('online_transactions') }}
    where product_id is not null {{ only_touched('product_id', 'touched_products', product_scope) }}

),

instore_transactions as (

    select
        store_id,
        amount
    from {{ ref('instore_transactions') }}
    where store_id is not null {{ only_touched('store_id', 'touched_stores', store_scope) }}

),

products as (

    select
        product_id,
        name,
        category
    from {{ ref('products') }}

),

stores as (

    select
        store_id,
        location
    from {{ ref('stores') }}

),

online_by_product as (

    select
        product_id,
        count(*) as order_count,
        sum(amount) as total_amount
    from online_transactions
    group by product_id

),

instore_by_store as (

    select
        store_id,
        count(*) as order_count,
        sum(amount) as total_amount
    from instore_transactions
    group by store_id

),

online_rows as (

    select
        'Online' as channel,
        products.product_id,
        products.name as product_name,
        products.category,
        cast(null as {{ type_key_int() }}) as store_id,
        cast(null as {{ type_text(100) }}) as store_location,
        online_by_product.order_count,
        online_by_product.total_amount
    from online_by_product
    inner join products
        on online_by_product.product_id = products.product_id

),

instore_rows as (

    select
        'InStore' as channel,
        cast(null as {{ type_key_int() }}) as product_id,
        cast(null as {{ type_text(100) }}) as product_name,
        cast(null as {{ type_text(50) }}) as category,
        stores.store_id,
        stores.location as store_location,
        instore_by_store.order_count,
        instore_by_store.total_amount
    from instore_by_store
    inner join stores
        on instore_by_store.store_id = stores.store_id

),

unioned as (

    select * from online_rows
    union all
    select * from instore_rows

),

final as (

    select
        cast(channel as {{ type_text(10) }}) as channel,
        cast(product_id as {{ type_key_int() }}) as product_id,
        cast(product_name as {{ type_text(100) }}) as product_name,
        cast(category as {{ type_text(50) }}) as category,
        cast(store_id as {{ type_key_int() }}) as store_id,
        cast(store_location as {{ type_text(100) }}) as store_location,
        cast(order_count as {{ type_count() }}) as order_count,
        cast(total_amount as {{ type_money_total() }}) as total_amount,
        {{ safe_ratio('total_amount', 'order_count') }} as average_order_value,
        {{ run_started_literal() }} as _built_at
    from unioned

)

select * from final
