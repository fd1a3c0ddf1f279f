{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='customer_id', dist='HASH(customer_id)') }}

{{ classify_records(
    base=ref('stg_retail__customers'),
    columns=[
        'customer_id',
        'name',
        'email',
        'address',
    ],
    key_columns=['customer_id'],
    references=[],
) }}
