{#- Synapse: hashed on the primary key, which the last-wins window partitions on. -#}
{{ config(unique_key='interaction_id', dist='HASH(interaction_id)') }}

{{ classify_records(
    base=ref('stg_retail__customer_service_interactions'),
    columns=[
        'interaction_id',
        'customer_id',
        'interaction_at',
        'agent_id',
        'issue_type',
        'resolution_status',
    ],
    key_columns=['interaction_id'],
    references=[
        {'column': 'customer_id', 'parent': ref('int_customers__classified'), 'parent_column': 'customer_id'},
        {'column': 'agent_id', 'parent': ref('int_agents__classified'), 'parent_column': 'agent_id'},
    ],
) }}
