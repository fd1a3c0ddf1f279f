{#- Synapse: a small dimension, replicated to every compute node (joins to it move no data). -#}
{{ config(unique_key='loyalty_id', dist='REPLICATE') }}

{{ silver_rows(
    classified=ref('int_loyalty_accounts__classified'),
    columns=[
        'loyalty_id',
        'customer_id',
        'points_earned',
        'tier_level',
        'joined_on',
    ],
) }}
