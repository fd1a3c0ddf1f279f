{{ config(materialized='view') }}

{#- Every customer a classified record refers to, with when the record was classified:
    the customers whose gold rows an incremental build of customer_segments and
    customer_360 recomputes are those of the records classified since the gold model's
    latest `_built_at` (affected_customers). An incremental build reclassifies every
    record of a key it touches, earlier versions included, so the customer an update
    moves an order away from is here too. A view: a filter on `_classified_at` reaches
    the five tables' scans. -#}

with

customers as (

    select customer_id, _classified_at
    from {{ ref('int_customers__classified') }}

),

online_transactions as (

    select customer_id, _classified_at
    from {{ ref('int_online_transactions__classified') }}

),

instore_transactions as (

    select customer_id, _classified_at
    from {{ ref('int_instore_transactions__classified') }}

),

customer_service_interactions as (

    select customer_id, _classified_at
    from {{ ref('int_customer_service_interactions__classified') }}

),

loyalty_accounts as (

    select customer_id, _classified_at
    from {{ ref('int_loyalty_accounts__classified') }}

),

final as (

    select customer_id, _classified_at from customers
    union all
    select customer_id, _classified_at from online_transactions
    union all
    select customer_id, _classified_at from instore_transactions
    union all
    select customer_id, _classified_at from customer_service_interactions
    union all
    select customer_id, _classified_at from loyalty_accounts

)

select * from final
where customer_id is not null
