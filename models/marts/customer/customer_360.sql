{#- One row per customer: both channels, loyalty and service in one profile. Counts
    and spends are 0, not NULL, when there is nothing. Incrementally, only the customers
    the build's new records touch are recomputed (touched_keys),
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

    select
        customer_id,
        name,
        email
    from {{ ref('customers') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

customer_segments as (

    select
        customer_id,
        total_spend,
        total_orders,
        tier_level,
        segment
    from {{ ref('customer_segments') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

online_transactions as (

    select
        customer_id,
        ordered_at
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
        points_earned
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

instore_by_customer as (

    select
        customer_id,
        count(*) as instore_transactions,
        sum(amount) as instore_spend
    from instore_transactions
    group by customer_id

),

purchases as (

    select
        customer_id,
        ordered_at as purchased_at
    from online_transactions
    union all
    select
        customer_id,
        purchased_at
    from instore_transactions

),

purchase_span as (

    select
        customer_id,
        min(purchased_at) as first_purchase_at,
        max(purchased_at) as last_purchase_at
    from purchases
    group by customer_id

),

points_by_customer as (

    select
        customer_id,
        sum(points_earned) as loyalty_points
    from loyalty_accounts
    group by customer_id

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
        customers.name,
        customers.email,
        customer_segments.total_orders as online_orders,
        customer_segments.total_spend as online_spend,
        coalesce(instore_by_customer.instore_transactions, 0) as instore_transactions,
        coalesce(instore_by_customer.instore_spend, 0) as instore_spend,
        purchase_span.first_purchase_at,
        purchase_span.last_purchase_at,
        customer_segments.tier_level as loyalty_tier,
        coalesce(points_by_customer.loyalty_points, 0) as loyalty_points,
        coalesce(interactions_by_customer.service_interactions, 0) as service_interactions,
        coalesce(interactions_by_customer.unresolved_interactions, 0) as unresolved_interactions,
        customer_segments.segment
    from customers
    inner join customer_segments
        on customers.customer_id = customer_segments.customer_id
    left join instore_by_customer
        on customers.customer_id = instore_by_customer.customer_id
    left join purchase_span
        on customers.customer_id = purchase_span.customer_id
    left join points_by_customer
        on customers.customer_id = points_by_customer.customer_id
    left join interactions_by_customer
        on customers.customer_id = interactions_by_customer.customer_id

),

final as (

    select
        cast(customer_id as {{ type_key_int() }}) as customer_id,
        cast(name as {{ type_text(100) }}) as name,
        cast(email as {{ type_text(100) }}) as email,
        cast(online_orders as {{ type_count() }}) as online_orders,
        cast(online_spend as {{ type_money_total() }}) as online_spend,
        cast(instore_transactions as {{ type_count() }}) as instore_transactions,
        cast(instore_spend as {{ type_money_total() }}) as instore_spend,
        cast(online_spend + instore_spend as {{ type_money_total() }}) as total_spend,
        cast(first_purchase_at as {{ type_datetime() }}) as first_purchase_at,
        cast(last_purchase_at as {{ type_datetime() }}) as last_purchase_at,
        cast(loyalty_tier as {{ type_text(20) }}) as loyalty_tier,
        cast(loyalty_points as {{ type_count() }}) as loyalty_points,
        cast(service_interactions as {{ type_count() }}) as service_interactions,
        cast(unresolved_interactions as {{ type_count() }}) as unresolved_interactions,
        cast(segment as {{ type_text(20) }}) as segment,
        cast({{ dbt.string_literal(segment_rules_digest()) }} as {{ type_text(32) }}) as _segment_rules,
        {{ run_started_literal() }} as _built_at
    from joined

)

select * from final
