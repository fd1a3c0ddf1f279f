{#- Transactions per channel, ISO weekday and hour; no timestamp, no bucket. -#}

{#- Rebuilt in full (168 rows per channel at most). Synapse: replicated to every compute
    node. -#}
{{ config(dist='REPLICATE') -}}

with

online_transactions as (

    select ordered_at
    from {{ ref('online_transactions') }}
    where ordered_at is not null

),

instore_transactions as (

    select purchased_at
    from {{ ref('instore_transactions') }}
    where purchased_at is not null

),

transactions as (

    select
        'Online' as channel,
        ordered_at as transaction_at
    from online_transactions
    union all
    select
        'InStore' as channel,
        purchased_at as transaction_at
    from instore_transactions

),

bucketed as (

    select
        channel,
        {{ iso_day_of_week('transaction_at') }} as day_of_week,
        {{ hour_of_day('transaction_at') }} as hour_of_day
    from transactions

),

counted as (

    select
        channel,
        day_of_week,
        hour_of_day,
        count(*) as total_transactions
    from bucketed
    group by channel, day_of_week, hour_of_day

),

final as (

    select
        cast(channel as {{ type_text(10) }}) as channel,
        cast({{ day_name_of_iso_day('day_of_week') }} as {{ type_text(10) }}) as day_name,
        cast(day_of_week as {{ type_key_int() }}) as day_of_week,
        cast(hour_of_day as {{ type_key_int() }}) as hour,
        cast(total_transactions as {{ type_count() }}) as total_transactions,
        {{ run_started_literal() }} as _built_at
    from counted

)

select * from final
