{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='transaction_id', dist='HASH(transaction_id)') }}

{{ classify_records(
    base=ref('stg_retail__instore_transactions'),
    columns=[
        'transaction_id',
        'customer_id',
        'store_id',
        'purchased_at',
        'amount',
        'payment_method',
    ],
    key_columns=['transaction_id'],
    references=[
        {'column': 'customer_id', 'parent': ref('int_customers__classified'), 'parent_column': 'customer_id'},
        {'column': 'store_id', 'parent': ref('int_stores__classified'), 'parent_column': 'store_id'},
    ],
) }}
