{{ config(unique_key='loyalty_id', dist='HASH(loyalty_id)') }}
{#- The key is (loyalty_id, changed_at); the incremental unit is the loyalty account:
    every record of an affected account is reclassified and replaced. Synapse: hashed on
    loyalty_id, which the last-wins window partitions on. -#}

{{ classify_records(
    base=ref('stg_retail__loyalty_transactions'),
    columns=[
        'loyalty_id',
        'changed_at',
        'points_change',
        'reason',
    ],
    key_columns=['loyalty_id', 'changed_at'],
    references=[
        {'column': 'loyalty_id', 'parent': ref('int_loyalty_accounts__classified'), 'parent_column': 'loyalty_id'},
    ],
    partition_column='loyalty_id',
) }}
