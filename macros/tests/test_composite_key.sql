{#- A composite primary key: the combination of columns is unique and, unless
    allow_null, no column is NULL. Returns the offending key values. -#}
{% test composite_key(model, columns, allow_null=false) %}

with

keys as (

    select
        {% for column in columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    from {{ model }}

),

duplicated as (

    select
        {% for column in columns %}{{ column }},{% endfor %}
        count(*) as occurrences
    from keys
    group by {% for column in columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
    having count(*) > 1

),

null_keys as (

    select
        {% for column in columns %}{{ column }},{% endfor %}
        1 as occurrences
    from keys
    where {% if allow_null %}1 = 0{% else %}{% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}{% endif %}

),

final as (

    select * from duplicated
    union all
    select * from null_keys

)

select * from final

{% endtest %}
