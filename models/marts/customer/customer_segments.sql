{#- One row per customer; the segment is the first rule that holds (CONTRACT.md
    section 3). Thresholds are vars, tier ranks the tier_levels seed. Incrementally,
    only the customers the build's new records touch are recomputed (touched_keys),
    or every customer when the segment rules changed (segment_rules_changed). -#}

{#- delete+insert on customer_id (every silver customer has a row, and customers never
    leave silver). Synapse: hashed on customer_id, like the silver facts it reads. -#}
{{ config(
    materialized='incremental',
    unique_key='customer_id',
    dist='HASH(customer_id)',
) }}

{%- set touched_customers = touched_keys('customer_id') %}
{#- other segment rules than those of the rows kept: every customer, as a full build -#}
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
        amount
    from {{ ref('online_transactions') }}
    where customer_id is not null {{ only_touched('customer_id', 'touched_customers', customer_scope) }}

),

loyalty_accounts as (

    select
        customer_id,
        tier_level
    from {{ ref('loyalty_accounts') }}
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
        count(*) as total_orders,
        sum(amount) as total_spend
    from online_transactions
    group by customer_id

),

highest_tier_rank as (

    select
        loyalty_accounts.customer_id,
        max(tier_levels.tier_rank) as tier_rank
    from loyalty_accounts
    inner join tier_levels
        on {{ case_sensitive('loyalty_accounts.tier_level') }} = tier_levels.tier_level
    group by loyalty_accounts.customer_id

),

highest_tier as (

    select
        highest_tier_rank.customer_id,
        tier_levels.tier_level
    from highest_tier_rank
    inner join tier_levels
        on highest_tier_rank.tier_rank = tier_levels.tier_rank

),

joined as (

    select
        customers.customer_id,
        coalesce(online_by_customer.total_spend, 0) as total_spend,
        coalesce(online_by_customer.total_orders, 0) as total_orders,
        highest_tier.tier_level
    from customers
    left join online_by_customer
        on customers.customer_id = online_by_customer.customer_id
    left join highest_tier
        on customers.customer_id = highest_tier.customer_id

),

final as (

    select
        cast(customer_id as {{ type_key_int() }}) as customer_id,
        cast(total_spend as {{ type_money_total() }}) as total_spend,
        cast(total_orders as {{ type_count() }}) as total_orders,
        cast(tier_level as {{ type_text(20) }}) as tier_level,
        cast(
            case
                when total_spend >= {{ var('high_value_min_spend') }} then 'High-Value'
                when total_orders = 1 then 'One-Time Buyer'
                when {{ in_list('tier_level', var('loyalty_champion_tiers')) }} then 'Loyalty Champion'
                else 'Regular'
            end
            as {{ type_text(20) }}
        ) as segment,
        cast({{ dbt.string_literal(segment_rules_digest()) }} as {{ type_text(32) }}) as _segment_rules,
        {{ run_started_literal() }} as _built_at
    from joined

)

select * from final
