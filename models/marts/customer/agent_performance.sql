{#- Agents with at least one interaction (the seed's inner join). Incrementally, the
    rows of the touched agents are deleted and inserted again, recomputed, in one batch
    (the delete_touched strategy). -#}

{#- Synapse: a small aggregate, replicated to every compute node. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete_touched',
    unique_key='agent_id',
    dist='REPLICATE',
) }}

{%- set touched_agents = touched_keys('agent_id') %}
{%- set agent_scope = touched_scope(touched_agents) %}

with
{%- if is_incremental() %}

touched_agents as (
{{ touched_agents }}

),
{%- endif %}

interactions as (

    select
        agent_id,
        resolution_status
    from {{ ref('customer_service_interactions') }}
    where agent_id is not null {{ only_touched('agent_id', 'touched_agents', agent_scope) }}

),

agents as (

    select
        agent_id,
        name
    from {{ ref('agents') }}

),

interactions_by_agent as (

    select
        agent_id,
        count(*) as total_interactions,
        sum(case when {{ case_sensitive('resolution_status') }} = 'Resolved' then 1 else 0 end) as resolved_interactions
    from interactions
    group by agent_id

),

final as (

    select
        cast(agents.agent_id as {{ type_key_int() }}) as agent_id,
        cast(agents.name as {{ type_text(100) }}) as agent_name,
        cast(interactions_by_agent.total_interactions as {{ type_count() }}) as total_interactions,
        cast(interactions_by_agent.resolved_interactions as {{ type_count() }}) as resolved_interactions,
        {{ safe_ratio('interactions_by_agent.resolved_interactions', 'interactions_by_agent.total_interactions') }}
            as resolution_rate,
        {{ run_started_literal() }} as _built_at
    from interactions_by_agent
    inner join agents
        on interactions_by_agent.agent_id = agents.agent_id

)

select * from final
