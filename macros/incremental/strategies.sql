{#- The incremental strategy of the gold aggregates, and the atomic batch it and the
    T-SQL delete+insert run in. -#}

{#- delete_touched (average_order_value, agent_performance): delete the rows of every key
    the build's new records touch, then insert the recomputed rows, as one atomic batch.
    The unique_key columns are the row's keys: a row is deleted when any of them is
    touched (delete_touched_groups). A key that lost its last transaction is deleted and
    not inserted again: its row vanishes, as in a full build. Part of the strategy, not a
    pre-hook: a pre-hook runs before the adapter builds its temporary relation, in the
    same transaction on SQL Server (which dbt-sqlserver warns can deadlock parallel
    workers), and in no transaction at all on Synapse and Fabric. -#}
{% macro get_incremental_delete_touched_sql(arg_dict) -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set batch -%}
    {{ delete_touched_groups(keys) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }}
    from {{ arg_dict['temp_relation'] }}
    {%- endset -%}
    {{ return(atomic_batch(batch)) }}
{%- endmacro %}

{#- Statements that succeed or fail together. DuckDB and SQL Server: dbt runs a model's
    strategy inside its own transaction (dbt-sqlserver with the behaviour flag
    dbt_sqlserver_use_dbt_transactions), so they already do. -#}
{% macro atomic_batch(statements) -%}
    {{ return(adapter.dispatch('atomic_batch', 'customer360')(statements)) }}
{%- endmacro %}

{% macro default__atomic_batch(statements) -%}
    {{ return(statements) }}
{%- endmacro %}

{#- Synapse and Fabric: dbt-fabric runs every statement in autocommit, so the batch opens
    and ends its own transaction; an error rolls all of it back and is raised again. -#}
{% macro fabric__atomic_batch(statements) -%}
    {%- set batch -%}
begin transaction;
begin try
    {{ statements }};
    commit transaction;
end try
begin catch
    if @@trancount > 0 rollback transaction;
    throw;
end catch
    {%- endset -%}
    {{ return(batch) }}
{%- endmacro %}
