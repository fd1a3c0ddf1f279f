with

base as (

    select
        order_id,
        customer_id,
        product_id,
        ordered_at,
        payment_method,
        amount,
        status,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _format_reason
    from {{ ref('base_retail__online_transactions') }}

),

customers as (

    select customer_id
    from {{ ref('stg_retail__customers') }}

),

products as (

    select product_id
    from {{ ref('stg_retail__products') }}

),

referenced as (

    select
        base.order_id,
        base.customer_id,
        base.product_id,
        base.ordered_at,
        base.payment_method,
        base.amount,
        base.status,
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
            when base.product_id is not null and products.product_id is null
                then 'orphan_reference'
        end as _reference_reason
    from base
    left join customers
        on base.customer_id = customers.customer_id
    left join products
        on base.product_id = products.product_id

),

ranked as (

    select
        order_id,
        customer_id,
        product_id,
        ordered_at,
        payment_method,
        amount,
        status,
        _record_key,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path,
        _reference_reason,
        {{ last_wins_row_number(['order_id'], candidate_condition='_reference_reason is null') }} as _occurrence
    from referenced

),

final as (

    select
        order_id,
        customer_id,
        product_id,
        ordered_at,
        payment_method,
        amount,
        status,
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
