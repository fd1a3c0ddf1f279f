{#- One row per customer: both channels, loyalty and service in one profile. The
    activity (counts, spends, purchase span, points, best tier, interactions) is the
    customer's row of customer_activity, where each rule is written; the segment
    is customer_segments'. Counts and spends are 0, not NULL, when there is nothing.
    Incrementally, only the customers the build's new records touch are recomputed
    (touched_keys), or every customer when the segment rules changed
    (segment_rules_changed). -#}

{#- delete+insert on customer_id (every silver customer has a row, and customers never
    leave silver). Synapse: hashed on customer_id, like the activity it reads. -#}
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

activity as (

    select
        customer_id,
        online_orders,
        online_spend,
        instore_transactions,
        instore_spend,
        first_purchase_at,
        last_purchase_at,
        tier_level,
        loyalty_points,
        service_interactions,
        unresolved_interactions
    from {{ ref('customer_activity') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

customer_segments as (

    select
        customer_id,
        segment
    from {{ ref('customer_segments') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

joined as (

    select
        customers.customer_id,
        customers.name,
        customers.email,
        activity.online_orders,
        activity.online_spend,
        activity.instore_transactions,
        activity.instore_spend,
        activity.first_purchase_at,
        activity.last_purchase_at,
        activity.tier_level as loyalty_tier,
        activity.loyalty_points,
        activity.service_interactions,
        activity.unresolved_interactions,
        customer_segments.segment
    from customers
    inner join activity
        on customers.customer_id = activity.customer_id
    inner join customer_segments
        on customers.customer_id = customer_segments.customer_id

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
