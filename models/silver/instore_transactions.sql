{#- Synapse: hashed on customer_id, which gold joins and groups on. -#}
{{ config(unique_key='transaction_id', dist='HASH(customer_id)') }}

{{ silver_rows(
    classified=ref('int_instore_transactions__classified'),
    columns=[
        'transaction_id',
        'customer_id',
        'store_id',
        'purchased_at',
        'amount',
        'payment_method',
    ],
) }}
