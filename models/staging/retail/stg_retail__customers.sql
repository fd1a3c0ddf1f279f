{{ config(alias='customers', unique_key='customer_id') }}

{{ silver_rows(
    classified=ref('int_customers__classified'),
    columns=[
        'customer_id',
        'name',
        'email',
        'address',
    ],
) }}
