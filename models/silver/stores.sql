{#- Synapse: a small dimension, replicated to every compute node (joins to it move no data). -#}
{{ config(unique_key='store_id', dist='REPLICATE') }}

{{ silver_rows(
    classified=ref('int_stores__classified'),
    columns=[
        'store_id',
        'location',
        'manager',
        'open_hours',
    ],
) }}
