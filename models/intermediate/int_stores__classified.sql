{{ config(unique_key='store_id') }}

{{ classify_records(
    base=ref('base_retail__stores'),
    columns=[
        'store_id',
        'location',
        'manager',
        'open_hours',
    ],
    key_columns=['store_id'],
    references=[],
) }}
