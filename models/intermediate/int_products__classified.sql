{{ config(unique_key='product_id') }}

{{ classify_records(
    base=ref('base_retail__products'),
    columns=[
        'product_id',
        'name',
        'category',
        'price',
    ],
    key_columns=['product_id'],
    references=[],
) }}
