{{ config(alias='agents', unique_key='agent_id') }}

{{ silver_rows(
    classified=ref('int_agents__classified'),
    columns=[
        'agent_id',
        'name',
        'department',
        'shift',
    ],
) }}
