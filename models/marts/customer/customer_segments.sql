{#- One row per customer; the segment is the first rule that holds (CONTRACT.md
    section 3). Thresholds are vars; the online orders, spend and best tier are the
    customer's activity (customer_activity, where what counts as an order and the
    tier ranks are written). Incrementally, only the customers the build's new records
    touch are recomputed (touched_keys), or every customer when the segment rules
    changed (segment_rules_changed). -#}

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

activity as (

    select
        customer_id,
        online_orders,
        online_spend,
        tier_level
    from {{ ref('customer_activity') }}
    {{ only_touched('customer_id', 'touched_customers', customer_scope, 'where') }}

),

final as (

    select
        cast(customer_id as {{ type_key_int() }}) as customer_id,
        cast(online_spend as {{ type_money_total() }}) as total_spend,
        cast(online_orders as {{ type_count() }}) as total_orders,
        cast(tier_level as {{ type_text(20) }}) as tier_level,
        cast(
            case
                when online_spend >= {{ var('high_value_min_spend') }} then 'High-Value'
                when online_orders = 1 then 'One-Time Buyer'
                when {{ in_list('tier_level', var('loyalty_champion_tiers')) }} then 'Loyalty Champion'
                else 'Regular'
            end
            as {{ type_text(20) }}
        ) as segment,
        cast({{ dbt.string_literal(segment_rules_digest()) }} as {{ type_text(32) }}) as _segment_rules,
        {{ run_started_literal() }} as _built_at
    from activity

)

select * from final
