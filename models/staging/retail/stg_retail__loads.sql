{#- The loader's ledger, one row per loaded file: the lineage a record shares with every
    other record of its file (file name, lake path, load time), stored once per file
    here, not on every classified record, and joined by (table, _load_id) where silver
    and the audit show it. -#}

with

source as (

    select * from {{ source('retail', '_loads') }}

),

final as (

    select
        table_name as _table,
        load_id as _load_id,
        source_file as _source_file,
        lake_path as _lake_path,
        loaded_at as _loaded_at
    from source

)

select * from final
