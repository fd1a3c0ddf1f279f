{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='order_id', dist='HASH(order_id)') }}

{{ classify_records(
    base=ref('stg_retail__online_transactions'),
    columns=[
        'order_id',
        'customer_id',
        'product_id',
        'ordered_at',
        'payment_method',
        'amount',
        'status',
    ],
    key_columns=['order_id'],
    references=[
        {'column': 'customer_id', 'parent': ref('int_customers__classified'), 'parent_column': 'customer_id'},
        {'column': 'product_id', 'parent': ref('int_products__classified'), 'parent_column': 'product_id'},
    ],
) }}
