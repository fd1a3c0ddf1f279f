{{ config(unique_key='loyalty_id', dist='HASH(loyalty_id)') }}
{#- The key is (loyalty_id, changed_at); the incremental unit is the loyalty account:
    every record of an affected account is reclassified and replaced. Synapse: hashed on
    loyalty_id (there is no customer_id: a transaction joins its account on loyalty_id). -#}

{{ silver_rows(
    classified=ref('int_loyalty_transactions__classified'),
    columns=[
        'loyalty_id',
        'changed_at',
        'points_change',
        'reason',
    ],
) }}
