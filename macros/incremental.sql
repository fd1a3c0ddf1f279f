{#- Incremental classification (CONTRACT.md section 2) and silver, one code path for the
    nine extracts. A full build classifies every raw record; an incremental build reads
    only the loads that are new since the last build and reclassifies every record whose
    key they can have changed, so that the result is the full build's, row for row:

    - affected keys: the keys of the new records, and the keys of earlier records
      rejected as orphan_reference whose foreign keys now resolve (their parent arrived
      since; a silver key, once there, never leaves);
    - every record of an affected key, old and new, goes through the orphan check and
      the last-wins ranking again, and replaces that key's records in the classified
      table (delete+insert on the key: the reclassified rows are all of the key's rows);
    - silver takes the winners that are not in silver yet, and replaces those keys.

    The SQL is portable (no dispatch): the same on DuckDB, SQL Server and Synapse. -#}

{#- Lineage columns of a classified record, in order. -#}
{% macro _classified_lineage() -%}
    {{ return(['_record_key', '_source_file', '_source_row', '_load_id', '_loaded_at', '_lake_path']) }}
{%- endmacro %}

{#- The largest value of a column in a relation, as a Python value (none when the
    relation is empty). None as well at parse time, and under the offline T-SQL compile,
    which never asks the warehouse. -#}
{% macro latest_value(relation, column) -%}
    {%- if var('offline_compile', false) or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query('select max(' ~ column ~ ') as latest from ' ~ relation) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- A datetime as a typed literal of the warehouse's datetime type (microseconds). -#}
{% macro datetime_literal(value) -%}
    cast({{ dbt.string_literal(value.strftime('%Y-%m-%d %H:%M:%S.%f')) }} as {{ type_datetime() }})
{%- endmacro %}

{#- The latest _load_id in a relation, as a SQL string literal ('' when it is empty, at
    parse time and offline). A literal, not a subquery, so that DuckDB drops the earlier
    loads' files from the raw views' union at plan time instead of reading them to
    filter them. -#}
{% macro load_watermark(relation) -%}
    {%- set value = latest_value(relation, '_load_id') -%}
    {{ return(dbt.string_literal(value if value is not none else '')) }}
{%- endmacro %}

{#- When this dbt invocation started, as a typed literal: the `_classified_at` of the
    records a build classifies and the `_built_at` of the gold rows it computes. Every
    model of one invocation gets the same value. -#}
{% macro run_started_literal() -%}
    {{ datetime_literal(run_started_at) }}
{%- endmacro %}

{#- The latest value of a timestamp column in a relation, as a typed literal
    (1900-01-01 when the relation is empty, at parse time and offline). A literal, not a
    subquery, so that the engine skips the older row groups. -#}
{% macro time_watermark(relation, column) -%}
    {%- set value = latest_value(relation, column) -%}
    {%- if value is none -%}
        {%- set value = modules.datetime.datetime(1900, 1, 1) -%}
    {%- endif -%}
    {{ datetime_literal(value) }}
{%- endmacro %}

{#- The body of int_<table>__classified: every raw record with its fate (base_records:
    every record of the base model, or only the new loads' when incremental).
    base: the base model (format checks done); columns: its typed contract columns;
    key_columns: the primary key; partition_column: the key column that the incremental
    unit (and the model's unique_key) is, the first key column by default; references:
    the foreign keys, each {'column', 'parent' (the parent's silver relation),
    'parent_column'}. -#}
{% macro classify_records(base, columns, key_columns, references=[], partition_column=none) -%}
{%- set partition = partition_column or key_columns[0] -%}
{%- set lineage = _classified_lineage() -%}
{%- set incremental = is_incremental() -%}
with

base_records as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from {{ base }}
    {%- if incremental %}
    where _load_id > {{ load_watermark(this) }}
    {%- endif %}

),
{%- for reference in references %}

{{ reference.column }}_parents as (

    select {{ reference.parent_column }} as parent_key
    from {{ reference.parent }}

),
{%- endfor %}
{%- if incremental %}
{%- if references %}

revalidated as (

    select classified.{{ partition }}
    from {{ this }} as classified
    {%- for reference in references %}
    left join {{ reference.column }}_parents
        on classified.{{ reference.column }} = {{ reference.column }}_parents.parent_key
    {%- endfor %}
    where classified._rejection_reason = 'orphan_reference'
    {%- for reference in references %}
        and (classified.{{ reference.column }} is null or {{ reference.column }}_parents.parent_key is not null)
    {%- endfor %}

),
{%- endif %}

affected_keys as (

    select distinct {{ partition }}
    from base_records
    where {{ partition }} is not null
    {%- if references %}
    union
    select {{ partition }}
    from revalidated
    {%- endif %}

),

earlier_records as (

    select
        {%- for column in columns + lineage %}
        classified.{{ column }},
        {%- endfor %}
        case
            when classified._rejection_reason in ('orphan_reference', 'duplicate_superseded') then null
            else classified._rejection_reason
        end as _format_reason
    from {{ this }} as classified
    inner join affected_keys
        on classified.{{ partition }} = affected_keys.{{ partition }}

),

records as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from base_records
    union all
    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from earlier_records

),
{%- else %}

records as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from base_records

),
{%- endif %}

referenced as (

    select
        {%- for column in columns + lineage %}
        records.{{ column }},
        {%- endfor %}
        case
            when records._format_reason is not null then records._format_reason
            {%- for reference in references %}
            when records.{{ reference.column }} is not null and {{ reference.column }}_parents.parent_key is null
                then 'orphan_reference'
            {%- endfor %}
        end as _reference_reason
    from records
    {%- for reference in references %}
    left join {{ reference.column }}_parents
        on records.{{ reference.column }} = {{ reference.column }}_parents.parent_key
    {%- endfor %}

),

ranked as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _reference_reason,
        {{ last_wins_row_number(key_columns, candidate_condition='_reference_reason is null') }} as _occurrence
    from referenced

),

final as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        case
            when _reference_reason is not null then _reference_reason
            when _occurrence > 1 then 'duplicate_superseded'
        end as _rejection_reason,
        {{ run_started_literal() }} as _classified_at
    from ranked

)

select * from final
{%- endmacro %}

{#- The body of a silver table (stg_retail__<table>): the classified records kept in
    silver. Incrementally: the winners among the records classified since silver's
    latest `_classified_at`. A build reclassifies every record of each key (or
    partition) it touches, so those are every winner of the touched keys; they replace
    the keys' rows (delete+insert on the model's unique_key, the partition column), and no
    other row of silver is read. -#}
{% macro silver_rows(classified, columns) -%}
{%- set lineage = ['_source_file', '_source_row', '_load_id', '_loaded_at', '_classified_at'] -%}
with

winners as (

    select
        {%- for column in columns + lineage %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ classified }}
    where _rejection_reason is null
    {%- if is_incremental() %}
        and _classified_at > {{ time_watermark(this, '_classified_at') }}
    {%- endif %}

)

select * from winners
{%- endmacro %}

{#- The keys (customer_id, product_id, store_id or agent_id) whose gold rows an
    incremental build of a gold model recomputes: those of the records classified since
    the model's latest `_built_at` (int_records__touched), as a select of distinct keys.
    A gold row depends only on the silver rows of its key, and on the segment rules, which
    segment_rules_changed watches. Call it once outside any
    `is_incremental()` branch as well: its ref is resolved at parse time. -#}
{% macro touched_keys(column) -%}
{%- set touched = ref('int_records__touched') -%}
{%- set since = time_watermark(this, '_built_at') if is_incremental() else run_started_literal() %}
    select distinct {{ column }}
    from {{ touched }}
    where {{ column }} is not null
        and _classified_at > {{ since }}
{%- endmacro %}

{#- Which rows of a key column an incremental build of a gold model recomputes, decided
    once per model and column: 'all' on a full build, or when every_key (the segment rules
    changed: segment_rules_changed); 'touched', the keys of touched (the model's
    touched_keys(column), as rendered); 'none' when no key is touched (a build with no new
    records). -#}
{% macro touched_scope(touched, every_key=false) -%}
    {%- if not is_incremental() or every_key -%}
        {{ return('all') }}
    {%- elif any_key_touched(touched) -%}
        {{ return('touched') }}
    {%- else -%}
        {{ return('none') }}
    {%- endif -%}
{%- endmacro %}

{#- The filter of a silver relation to the rows a gold model recomputes (scope, from
    touched_scope): `<keyword> <column> in (select <column> from <touched>)`, touched
    being the model's CTE of touched_keys(column); `<keyword> 1 = 0` when no key is
    touched, so that the engine reads nothing instead of probing every row against an
    empty set; nothing when every row is recomputed. -#}
{% macro only_touched(column, touched, scope, keyword='and') -%}
    {%- if scope == 'touched' -%}
    {{ keyword }} {{ column }} in (select {{ column }} from {{ touched }})
    {%- elif scope == 'none' -%}
    {{ keyword }} 1 = 0
    {%- endif -%}
{%- endmacro %}

{#- Whether touched (a touched_keys(column), as rendered) has any key, asked of the
    warehouse (an EXISTS, which stops at the first); true at parse time and offline (no
    query then). -#}
{% macro any_key_touched(touched) -%}
    {%- if var('offline_compile', false) or not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set result = run_query(
        'select case when exists (' ~ touched ~ '\n) then 1 else 0 end as touched'
    ) -%}
    {{ return(result.columns[0].values()[0] == 1) }}
{%- endmacro %}

{#- The segment rules (CONTRACT.md, gold.customer_segments) as one digest: the vars
    high_value_min_spend and loyalty_champion_tiers and the content of the tier_levels
    seed. Every row of customer_segments and customer_360 carries the digest of the rules
    that computed it (`_segment_rules`). -#}
{% macro segment_rules_digest() -%}
    {#- (a unit test's graph has no nodes) -#}
    {%- set seed = (graph.get('nodes') or {}).get('seed.customer360.tier_levels') -%}
    {%- set rules = [
        var('high_value_min_spend'),
        var('loyalty_champion_tiers'),
        seed.checksum.checksum if seed else '',
    ] -%}
    {{ return(local_md5(tojson(rules))) }}
{%- endmacro %}

{#- Whether an incremental build of a model with `_segment_rules` must recompute every
    customer: a row it keeps was computed by other rules (a var or the seed changed since).
    The touched keys alone would leave those rows as the old rules computed them. False
    on a full build, on an empty relation, at parse time and offline; true for a table
    built before the column existed (the build then stops on `on_schema_change: fail`,
    whose message asks for a full refresh). -#}
{% macro segment_rules_changed() -%}
    {%- if not is_incremental() or var('offline_compile', false) or not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if '_segment_rules' not in columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set result = run_query(
        'select min(_segment_rules) as low, max(_segment_rules) as high from ' ~ this
    ) -%}
    {%- set low, high = result.rows[0][0], result.rows[0][1] -%}
    {%- set digest = segment_rules_digest() -%}
    {{ return(low is not none and (low != digest or high != digest)) }}
{%- endmacro %}

{#- The delete of the delete_touched strategy (macros/strategies.sql): on an incremental
    build, delete the rows of the touched keys, which the strategy then inserts again,
    recomputed. keys: the key columns, a row is deleted when any of them is touched (a
    NULL key never is). Nothing on a full build. -#}
{% macro delete_touched_groups(keys) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where {% for column in keys -%}
        {{ column }} in ({{ touched_keys(column) }}
        )
        {%- if not loop.last %}
        or {% endif %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}
