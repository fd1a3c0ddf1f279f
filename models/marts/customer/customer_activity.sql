{#- One row per customer of silver.customers: what the customer did in each channel, in
    the loyalty programme and with customer service, the activity that customer_segments
    and customer_360 report (CONTRACT.md section 3). Each rule is written here once:
    - an online order is a row of silver.online_transactions, whatever its status;
    - a purchase is an online order or an in-store transaction, at its timestamp;
    - the best tier is the highest tier_rank (the tier_levels seed) among the customer's
      loyalty accounts; a tier the seed does not rank counts for nothing;
    - an interaction is unresolved unless its resolution_status is exactly `Resolved`.
    Counts, spends and points are 0, not NULL, when there is nothing. -#}

{#- An incremental table, not a view: computed once per build and read by both gold
    models, so a full build aggregates each silver table once; incrementally, like them,
    only the customers the build's new records touch are recomputed (touched_keys), or
    every customer when the segment rules changed (the tier ranks are among them:
    segment_rules_changed, `_segment_rules`). delete+insert on customer_id. Synapse:
    hashed on customer_id, like the silver facts it reads and the gold models that read
    it. A mart the two gold models share, in the default schema (dbt_project.yml): not
    published, docs/ARCHITECTURE.md. -#}
{{ config(
    materialized='incremental',
    unique_key='customer_id',
    dist='HASH(customer_id)',
) }}

{%- set touched_customers = touched_keys('customer_id') %}
{#- other tier ranks than those of the rows kept: every customer, as a full build -#}
{%- set customer_scope = touched_scope(touched_customers, every_key=segment_rules_changed()) %}

with
{%- if is_incremental() %}

touched_customers as (
{{ touched_customers }}

),
{%- endif %}

customers as (

    select customer_id
    from {{ ref('customers') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

online_transactions as (

    select
        customer_id,
        ordered_at,
        amount
    from {{ ref('online_transactions') }}
    where customer_id is not null {{ only_touched('customer_id', 'touched_customers', customer_scope) }}

),

instore_transactions as (

    select
        customer_id,
        purchased_at,
        amount
    from {{ ref('instore_transactions') }}
    where customer_id is not null {{ only_touched('customer_id', 'touched_customers', customer_scope) }}

),

loyalty_accounts as (

    select
        customer_id,
        points_earned,
        tier_level
    from {{ ref('loyalty_accounts') }}
    where customer_id is not null {{ only_touched('customer_id', 'touched_customers', customer_scope) }}

),

interactions as (

    select
        customer_id,
        resolution_status
    from {{ ref('customer_service_interactions') }}
    where customer_id is not null {{ only_touched('customer_id', 'touched_customers', customer_scope) }}

),

tier_levels as (

    select
        tier_level,
        tier_rank
    from {{ ref('tier_levels') }}

),

online_by_customer as (

    select
        customer_id,
        count(*) as online_orders,
        sum(amount) as online_spend,
        min(ordered_at) as first_purchase_at,
        max(ordered_at) as last_purchase_at
    from online_transactions
    group by customer_id

),

instore_by_customer as (

    select
        customer_id,
        count(*) as instore_transactions,
        sum(amount) as instore_spend,
        min(purchased_at) as first_purchase_at,
        max(purchased_at) as last_purchase_at
    from instore_transactions
    group by customer_id

),

purchase_span as (

    {#- a purchase is an online order or an in-store transaction: the span of both
        channels', from each channel's own, so that each silver table is read by one
        CTE (DuckDB materializes a CTE read twice: the full query at 10M took 7.9 to
        8.1 s that way, 6.4 s this way) -#}
    select
        customer_id,
        min(first_purchase_at) as first_purchase_at,
        max(last_purchase_at) as last_purchase_at
    from (
        select
            customer_id,
            first_purchase_at,
            last_purchase_at
        from online_by_customer
        union all
        select
            customer_id,
            first_purchase_at,
            last_purchase_at
        from instore_by_customer
    ) as channel_spans
    group by customer_id

),

loyalty_by_customer as (

    {#- the points of every account, and the highest rank among their tiers (a tier the
        seed does not rank counts for nothing) -#}
    select
        loyalty_accounts.customer_id,
        sum(loyalty_accounts.points_earned) as loyalty_points,
        max(tier_levels.tier_rank) as tier_rank
    from loyalty_accounts
    left join tier_levels
        on {{ case_sensitive('loyalty_accounts.tier_level') }} = tier_levels.tier_level
    group by loyalty_accounts.customer_id

),

interactions_by_customer as (

    select
        customer_id,
        count(*) as service_interactions,
        sum(
            case when {{ case_sensitive('resolution_status') }} = 'Resolved' then 0 else 1 end
        ) as unresolved_interactions
    from interactions
    group by customer_id

),

joined as (

    select
        customers.customer_id,
        coalesce(online_by_customer.online_orders, 0) as online_orders,
        coalesce(online_by_customer.online_spend, 0) as online_spend,
        coalesce(instore_by_customer.instore_transactions, 0) as instore_transactions,
        coalesce(instore_by_customer.instore_spend, 0) as instore_spend,
        purchase_span.first_purchase_at,
        purchase_span.last_purchase_at,
        coalesce(loyalty_by_customer.loyalty_points, 0) as loyalty_points,
        highest_tier.tier_level,
        coalesce(interactions_by_customer.service_interactions, 0) as service_interactions,
        coalesce(interactions_by_customer.unresolved_interactions, 0) as unresolved_interactions
    from customers
    left join online_by_customer
        on customers.customer_id = online_by_customer.customer_id
    left join instore_by_customer
        on customers.customer_id = instore_by_customer.customer_id
    left join purchase_span
        on customers.customer_id = purchase_span.customer_id
    left join loyalty_by_customer
        on customers.customer_id = loyalty_by_customer.customer_id
    left join tier_levels as highest_tier
        on loyalty_by_customer.tier_rank = highest_tier.tier_rank
    left join interactions_by_customer
        on customers.customer_id = interactions_by_customer.customer_id

),

final as (

    select
        cast(customer_id as {{ type_key_int() }}) as customer_id,
        cast(online_orders as {{ type_count() }}) as online_orders,
        cast(online_spend as {{ type_money_total() }}) as online_spend,
        cast(instore_transactions as {{ type_count() }}) as instore_transactions,
        cast(instore_spend as {{ type_money_total() }}) as instore_spend,
        cast(first_purchase_at as {{ type_datetime() }}) as first_purchase_at,
        cast(last_purchase_at as {{ type_datetime() }}) as last_purchase_at,
        cast(loyalty_points as {{ type_count() }}) as loyalty_points,
        cast(tier_level as {{ type_text(20) }}) as tier_level,
        cast(service_interactions as {{ type_count() }}) as service_interactions,
        cast(unresolved_interactions as {{ type_count() }}) as unresolved_interactions,
        cast({{ dbt.string_literal(segment_rules_digest()) }} as {{ type_text(32) }}) as _segment_rules,
        {{ run_started_literal() }} as _built_at
    from joined

)

select * from final
