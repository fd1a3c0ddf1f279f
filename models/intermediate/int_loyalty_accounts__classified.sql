{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='loyalty_id', dist='HASH(loyalty_id)') }}

{{ classify_records(
    base=ref('stg_retail__loyalty_accounts'),
    columns=[
        'loyalty_id',
        'customer_id',
        'points_earned',
        'tier_level',
        'joined_on',
    ],
    key_columns=['loyalty_id'],
    references=[
        {'column': 'customer_id', 'parent': ref('int_customers__classified'), 'parent_column': 'customer_id'},
    ],
) }}
