{#- Synapse: a small dimension, replicated to every compute node (joins to it move no data). -#}
{{ config(unique_key='product_id', dist='REPLICATE') }}

{{ silver_rows(
    classified=ref('int_products__classified'),
    columns=[
        'product_id',
        'name',
        'category',
        'price',
    ],
) }}
