{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='store_id', dist='HASH(store_id)') }}

{{ classify_records(
    base=ref('stg_retail__stores'),
    columns=[
        'store_id',
        'location',
        'manager',
        'open_hours',
    ],
    key_columns=['store_id'],
    references=[],
) }}
