{#- Synapse: hashed on customer_id, which gold joins and groups on. -#}
{{ config(unique_key='order_id', dist='HASH(customer_id)') }}

{{ silver_rows(
    classified=ref('int_online_transactions__classified'),
    columns=[
        'order_id',
        'customer_id',
        'product_id',
        'ordered_at',
        'payment_method',
        'amount',
        'status',
    ],
) }}
