{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='agent_id', dist='HASH(agent_id)') }}

{{ classify_records(
    base=ref('stg_retail__agents'),
    columns=[
        'agent_id',
        'name',
        'department',
        'shift',
    ],
    key_columns=['agent_id'],
    references=[],
) }}
