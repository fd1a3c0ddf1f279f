{#- Synapse: hashed on customer_id, which gold joins and groups on. -#}
{{ config(unique_key='interaction_id', dist='HASH(customer_id)') }}

{{ silver_rows(
    classified=ref('int_customer_service_interactions__classified'),
    columns=[
        'interaction_id',
        'customer_id',
        'interaction_at',
        'agent_id',
        'issue_type',
        'resolution_status',
    ],
) }}
