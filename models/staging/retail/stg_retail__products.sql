with

source as (

    select * from {{ source('retail', 'products') }}

),

cleaned as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('name') }} as name,
        {{ clean_text('category') }} as category,
        {{ clean_text('price') }} as price,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from source

),

checked as (

    select
        product_id,
        name,
        category,
        price,
        {{ format_flag('product_id', 'int') }} as _product_id_ok,
        {{ format_flag('name', 'text', 100) }} as _name_ok,
        {{ format_flag('category', 'text', 50) }} as _category_ok,
        {{ format_flag('price', 'decimal') }} as _price_ok,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from cleaned

),

final as (

    select
        {{ cast_checked('product_id', 'int', '_product_id_ok') }} as product_id,
        {{ cast_checked('name', 'text', '_name_ok', 100) }} as name,
        {{ cast_checked('category', 'text', '_category_ok', 50) }} as category,
        {{ cast_checked('price', 'decimal', '_price_ok') }} as price,
        {{ record_key(['product_id']) }} as _record_key,
        {{ format_reason(
            key_columns=['product_id'],
            value_columns=['name', 'category', 'price']
        ) }} as _format_reason,
        _source_file,
        _source_row,
        _load_id,
        _loaded_at,
        _lake_path
    from checked

)

select * from final
