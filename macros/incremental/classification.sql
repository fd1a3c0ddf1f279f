{#- Classification and silver: the bodies of int_<table>__classified (classify_records,
    CONTRACT.md section 2) and of the silver tables (silver_rows), one code path for the
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

{#- Lineage columns of a classified record, in order: what differs from record to record.
    What a file's records share (its name, lake path and load time) is stored once per
    file, in the ledger (stg_retail__loads), and joined by `_load_id` where silver and the
    audit show it: carried through the classification on every record, it cost a quarter
    of the largest model's time. -#}
{% macro _classified_lineage() -%}
    {{ return(['_record_key', '_source_row', '_load_id']) }}
{%- endmacro %}

{#- The body of int_<table>__classified: every raw record with its fate (base_records:
    every record of the base model, or only the new loads' when incremental), from the
    table spec (macros/spec.sql). base: the staging view (format checks done); columns:
    its typed contract columns; key_columns: the primary key; partition: the key column
    that the incremental unit (and the model's unique_key) is; references: the foreign
    keys, each {'column', 'parent' (the parent's classified model, whose winners are its
    silver rows), 'parent_column'}. -#}
{% macro classify_records(table) -%}
{%- set spec = table_spec(table) -%}
{%- set base = ref('stg_retail__' ~ table) -%}
{%- set columns = spec.columns | map(attribute='name') | list -%}
{%- set key_columns = spec.key -%}
{%- set references = [] -%}
{%- for reference in spec.references -%}
    {%- do references.append({
        'column': reference.column,
        'parent': ref('int_' ~ reference.parent ~ '__classified'),
        'parent_column': reference.parent_column,
    }) -%}
{%- endfor -%}
{%- set partition = spec.partition -%}
{%- set lineage = _classified_lineage() -%}
{%- set incremental = is_incremental() -%}
{%- set quiet = false -%}
{%- if incremental -%}
    {%- set since = load_watermark(this) -%}
    {%- set quiet = nothing_to_classify(base, since, references | map(attribute='parent') | list) -%}
{%- endif -%}
{#- nothing new and no parent changed: the full build's body over no record (no scan) -#}
{%- set incremental = incremental and not quiet -%}
with

base_records as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from {{ base }}
    {%- if quiet %}
    where 1 = 0
    {%- elif incremental %}
    where _load_id > {{ since }}
    {%- endif %}

),
{%- for reference in references %}

{{ reference.column }}_parents as (

    select {{ reference.parent_column }} as parent_key
    from {{ reference.parent }}
    where _rejection_reason is null

),
{%- endfor %}
{%- if incremental %}
{%- if references %}
{#- the orphans that can resolve now: an orphan resolves only when a parent it names
    became a winner since this table was last classified (a silver key never leaves
    silver: nothing_to_classify relies on it too), so only the orphans that name a
    parent classified since are checked, against every parent they name (at 10M, the
    online transactions delta: 0.50 to 0.71 s against 0.37 to 0.40 s) -#}
{%- set classified_since = time_watermark(this, '_classified_at') %}
{%- set candidate_columns = [partition] %}
{%- for reference in references if reference.column not in candidate_columns %}
{%- do candidate_columns.append(reference.column) %}
{%- endfor %}

revalidation_candidates as (

    select
        {%- for column in candidate_columns %}
        classified.{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ this }} as classified
    where classified._rejection_reason = 'orphan_reference'
        and (
            {%- for reference in references %}
            {% if not loop.first %}or {% endif %}classified.{{ reference.column }} in (
                select {{ reference.parent_column }}
                from {{ reference.parent }}
                where _rejection_reason is null
                    and _classified_at > {{ classified_since }}
            )
            {%- endfor %}
        )

),

revalidated as (

    select candidates.{{ partition }}
    from revalidation_candidates as candidates
    {%- for reference in references %}
    left join (
        select parent_key
        from {{ reference.column }}_parents
        where parent_key in (select {{ reference.column }} from revalidation_candidates)
    ) as {{ reference.column }}_parents
        on candidates.{{ reference.column }} = {{ reference.column }}_parents.parent_key
    {%- endfor %}
    {%- for reference in references %}
    {% if loop.first %}where{% else %}    and{% endif %} (candidates.{{ reference.column }} is null or {{ reference.column }}_parents.parent_key is not null)
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

{%- endif %}

records as (

    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from base_records
    {%- if incremental %}
    union all
    select
        {%- for column in columns + lineage %}
        {{ column }},
        {%- endfor %}
        _format_reason
    from earlier_records
    {%- endif %}

),
{%- if incremental %}
{%- for reference in references %}

{#- the parents of these records alone: the join below then hashes their few keys, not
    every parent (an online transactions delta of 100k records at 10M: 0.76 s against
    0.58 s); a full build's records refer to most parents anyway -#}
{{ reference.column }}_record_parents as (

    select parent_key
    from {{ reference.column }}_parents
    where parent_key in (select {{ reference.column }} from records)

),
{%- endfor %}
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
    left join {{ reference.column }}_{{ 'record_parents' if incremental else 'parents' }} as {{ reference.column }}_parents
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
        {%- if column == '_record_key' %}
        case when {{ case_sensitive('_record_key') }} = {{ typed_record_key(key_columns) }} then null else _record_key end as _record_key,
        {%- else %}
        {{ column }},
        {%- endif %}
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

{#- Whether an incremental build of a classified model has nothing to do: no record of
    its base in a load later than `since` (its load watermark), and no parent classified
    since this model's latest `_classified_at` (a new parent key can revalidate an
    orphan). One query; false at parse time and offline (no query then), so the SQL shown
    there is the general incremental one. -#}
{% macro nothing_to_classify(base, since, parents) -%}
    {%- if var('offline_compile', false) or not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set query -%}
        select
            case when exists (select 1 from {{ base }} where _load_id > {{ since }}) then 1 else 0 end as new_records,
            (select max(_classified_at) from {{ this }}) as classified_at
            {%- for parent in parents %},
            (select max(_classified_at) from {{ parent }}) as parent_{{ loop.index }}
            {%- endfor %}
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if row[0] == 1 or row[1] is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for parent in parents -%}
        {%- if row[loop.index + 1] is not none and row[loop.index + 1] > row[1] -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}

{#- The body of a silver table (models/silver/<table>.sql): the classified records kept in
    silver, with their file's lineage from the ledger (stg_retail__loads). Incrementally:
    the winners among the records classified since silver's latest `_classified_at`. A
    build reclassifies every record of each key (or partition) it touches, so those are every winner of the touched keys; they replace
    the keys' rows (delete+insert on the model's unique_key, the partition column), and no
    other row of silver is read. table: the table's name (the table spec's); its columns
    are the spec's typed contract columns. -#}
{% macro silver_rows(table) -%}
{%- set classified = ref('int_' ~ table ~ '__classified') -%}
{%- set columns = table_spec(table).columns | map(attribute='name') | list -%}
{%- set lineage = ['_source_row', '_load_id', '_classified_at'] -%}
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

),

loads as (

    select
        _load_id,
        _source_file,
        _loaded_at
    from {{ ref('stg_retail__loads') }}
    where _table = {{ dbt.string_literal(table) }}

),

final as (

    select
        {%- for column in columns %}
        winners.{{ column }},
        {%- endfor %}
        loads._source_file,
        winners._source_row,
        winners._load_id,
        loads._loaded_at,
        winners._classified_at
    from winners
    left join loads
        on winners._load_id = loads._load_id

)

select * from final
{%- endmacro %}
