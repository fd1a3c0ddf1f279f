{{ config(alias='loyalty_transactions', unique_key='loyalty_id') }}
{#- The key is (loyalty_id, changed_at); the incremental unit is the loyalty account:
    every record of an affected account is reclassified and replaced. -#}

{{ silver_rows(
    classified=ref('int_loyalty_transactions__classified'),
    columns=[
        'loyalty_id',
        'changed_at',
        'points_change',
        'reason',
    ],
) }}
