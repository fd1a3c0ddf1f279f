{#- CONTRACT.md section 2: every data record of every file has exactly one fate.
    Per file (source file and load): the records the loader counted
    = silver rows (its table's rows of its load) + rejected rows; and no physical line
    was swallowed: the records (a malformed one is one line) + the lines that start no
    record (the header's, blank lines, quoted line breaks of good records) = the file's
    physical lines, counted on its bytes (a ledger row of an older loader has no line
    counts).
    Returns the files that do not add up.
    In `dbt build`, the files of the loads whose records' fate this build decided or
    changed (build_loads: none in a build with no new load); every file otherwise. -#}
{%- set tables = table_names() -%}
{%- set loads = build_loads() -%}

with

records_per_file as (

    {#- The loader counts every file's records as it loads it (raw._loads): reading the
        ledger, not the raw files again, keeps this test cheap at any size. -#}
    select
        table_name as _table,
        source_file as _source_file,
        load_id as _load_id,
        records,
        physical_lines,
        other_lines
    from {{ source('retail', '_loads') }}

),

silver_rows_per_load as (

    {#- One file per table and load: a file's silver rows are its table's rows of its
        load, counted per load over every row and filtered in `final`, after the count
        (at 10M after a 1% delta: counting every load of silver took 0.05 s; the filter
        on the load id below the count, 0.45 s; grouping by the file name too, 0.5 s). -#}
    {% for table in tables -%}
    select
        {{ dbt.string_literal(table) }} as _table,
        _load_id,
        count(*) as silver_rows
    from {{ ref(table) }}
    group by _load_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rejected_rows_per_file as (

    select
        source_file as _source_file,
        _load_id,
        count(*) as rejected_rows
    from {{ ref('rejected_rows') }}
    where {{ in_loads('_load_id', loads) }}
    group by source_file, _load_id

),

outcomes as (

    select
        records_per_file._source_file,
        silver_rows_per_load._load_id,
        silver_rows_per_load.silver_rows,
        0 as rejected_rows
    from silver_rows_per_load
    left join records_per_file
        on silver_rows_per_load._table = records_per_file._table
        and silver_rows_per_load._load_id = records_per_file._load_id
    union all
    select
        _source_file,
        _load_id,
        0 as silver_rows,
        rejected_rows
    from rejected_rows_per_file

),

outcomes_per_file as (

    select
        _source_file,
        _load_id,
        sum(silver_rows) as silver_rows,
        sum(rejected_rows) as rejected_rows
    from outcomes
    group by _source_file, _load_id

),

final as (

    select
        coalesce(records_per_file._source_file, outcomes_per_file._source_file) as source_file,
        coalesce(records_per_file._load_id, outcomes_per_file._load_id) as load_id,
        coalesce(records_per_file.records, 0) as records,
        records_per_file.physical_lines,
        records_per_file.other_lines,
        coalesce(outcomes_per_file.silver_rows, 0) as silver_rows,
        coalesce(outcomes_per_file.rejected_rows, 0) as rejected_rows
    from records_per_file
    full outer join outcomes_per_file
        on records_per_file._source_file = outcomes_per_file._source_file
        and records_per_file._load_id = outcomes_per_file._load_id
    where {{ in_loads('coalesce(records_per_file._load_id, outcomes_per_file._load_id)', loads) }}

)

select
    source_file,
    load_id,
    records,
    physical_lines,
    other_lines,
    silver_rows,
    rejected_rows
from final
where
    records <> silver_rows + rejected_rows
    or records + other_lines <> physical_lines
