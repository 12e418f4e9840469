-- TAC accounts lines with the measure each subcode stands for in its year (the seed holds the per-year mapping).
with source as (
    select * from {{ source('finance', 'tac') }}
),

subcodes as (
    select * from {{ ref('tac_subcodes') }}
),

renamed as (
    select
        -- keys
        source.org_code,
        source.financial_year,
        source.subcode,
        source.main_code,
        source.row_number,
        -- what the line is
        subcodes.measure,
        subcodes.sign as measure_sign,
        source.worksheet_name,
        source.table_id,
        source.org_name,
        -- value in £000: NULL with a reason where not given, never 0
        source.value_gbp_thousands,
        source.value_missing_reason,
        -- release (valid period × release)
        {{ release_columns(prefix='source.') }}
    from source
    left join subcodes
        on subcodes.financial_year = source.financial_year
        and subcodes.subcode = source.subcode
)

select * from renamed
