{{ config(alias='stores', unique_key='store_id') }}

{{ silver_rows(
    classified=ref('int_stores__classified'),
    columns=[
        'store_id',
        'location',
        'manager',
        'open_hours',
    ],
) }}
