with

base as (

    select
        transaction_id,
        customer_id,
        store_id,
        purchased_at,
        amount,
        payment_method,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _format_reason
    from {{ ref('base_retail__instore_transactions') }}

),

customers as (

    select customer_id
    from {{ ref('stg_retail__customers') }}

),

stores as (

    select store_id
    from {{ ref('stg_retail__stores') }}

),

referenced as (

    select
        base.transaction_id,
        base.customer_id,
        base.store_id,
        base.purchased_at,
        base.amount,
        base.payment_method,
        base._record_key,
        base._source_file,
        base._source_row,
        base._load_id,
        base._loaded_at,
        base._lake_path,
        case
            when base._format_reason is not null then base._format_reason
            when base.customer_id is not null and customers.customer_id is null
                then 'orphan_reference'
            when base.store_id is not null and stores.store_id is null
                then 'orphan_reference'
        end as _reference_reason
    from base
    left join customers
        on base.customer_id = customers.customer_id
    left join stores
        on base.store_id = stores.store_id

),

ranked as (

    select
        transaction_id,
        customer_id,
        store_id,
        purchased_at,
        amount,
        payment_method,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _reference_reason,
        {{ last_wins_row_number(['transaction_id'], candidate_condition='_reference_reason is null') }} as _occurrence
    from referenced

),

final as (

    select
        transaction_id,
        customer_id,
        store_id,
        purchased_at,
        amount,
        payment_method,
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
