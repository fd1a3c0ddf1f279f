{#- CONTRACT.md section 2: every data record of every file has exactly one fate.
    Per file (source file and load): the records the loader counted
    = silver rows + rejected rows; and no physical line was swallowed: the records
    (a malformed one is one line) + the lines that start no record (the header's,
    blank lines, quoted line breaks of good records) = the file's physical lines,
    counted on its bytes (a ledger row of an older loader has no line counts).
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
        source_file as _source_file,
        load_id as _load_id,
        records,
        physical_lines,
        other_lines
    from {{ source('retail', '_loads') }}
    where {{ in_loads('load_id', loads) }}

),

silver_rows as (

    {% for table in tables -%}
    select
        _source_file,
        _load_id
    from {{ ref(table) }}
    where {{ in_loads('_load_id', loads) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

rejected_rows as (

    select
        source_file as _source_file,
        _load_id
    from {{ ref('rejected_rows') }}
    where {{ in_loads('_load_id', loads) }}

),

outcomes as (

    select
        _source_file,
        _load_id,
        1 as silver_row,
        0 as rejected_row
    from silver_rows
    union all
    select
        _source_file,
        _load_id,
        0 as silver_row,
        1 as rejected_row
    from rejected_rows

),

outcomes_per_file as (

    select
        _source_file,
        _load_id,
        sum(silver_row) as silver_rows,
        sum(rejected_row) as rejected_rows
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
