with

base as (

    select
        product_id,
        name,
        category,
        price,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _format_reason
    from {{ ref('base_retail__products') }}

),

referenced as (

    select
        base.product_id,
        base.name,
        base.category,
        base.price,
        base._record_key,
        base._source_file,
        base._source_row,
        base._load_id,
        base._loaded_at,
        base._lake_path,
        base._format_reason as _reference_reason
    from base

),

ranked as (

    select
        product_id,
        name,
        category,
        price,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _reference_reason,
        {{ last_wins_row_number(['product_id'], candidate_condition='_reference_reason is null') }} as _occurrence
    from referenced

),

final as (

    select
        product_id,
        name,
        category,
        price,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        case
            when _reference_reason is not null then _reference_reason
            when _occurrence > 1 then 'duplicate_superseded'
        end as _rejection_reason
    from ranked

)

select * from final
