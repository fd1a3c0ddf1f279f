{#- Synapse: a small dimension, replicated to every compute node (joins to it move no data). -#}
{{ config(unique_key='customer_id', dist='REPLICATE') }}

{{ silver_rows(
    classified=ref('int_customers__classified'),
    columns=[
        'customer_id',
        'name',
        'email',
        'address',
    ],
) }}
