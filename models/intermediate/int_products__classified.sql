{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='product_id', dist='HASH(product_id)') }}

{{ classify_records(
    base=ref('stg_retail__products'),
    columns=[
        'product_id',
        'name',
        'category',
        'price',
    ],
    key_columns=['product_id'],
    references=[],
) }}
