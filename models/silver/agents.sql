{#- Synapse: a small dimension, replicated to every compute node (joins to it move no data). -#}
{{ config(unique_key='agent_id', dist='REPLICATE') }}

{{ silver_rows(
    classified=ref('int_agents__classified'),
    columns=[
        'agent_id',
        'name',
        'department',
        'shift',
    ],
) }}
