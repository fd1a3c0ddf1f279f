{{ config(alias='loyalty_accounts', unique_key='loyalty_id') }}

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
