{{ config(alias='products', unique_key='product_id') }}

{{ silver_rows(
    classified=ref('int_products__classified'),
    columns=[
        'product_id',
        'name',
        'category',
        'price',
    ],
) }}
