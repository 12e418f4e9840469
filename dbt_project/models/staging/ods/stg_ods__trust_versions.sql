-- Every version of every trust's ODS record, one row per version of etr.csv that set, changed or removed it.
with source as (
    select * from {{ source('ods', 'trust_versions') }}
),

renamed as (
    select
        -- identifiers
        organisation_code as trust_code,
        name as trust_name,
        -- geography as that version of ODS gave it
        national_grouping as region_code,
        high_level_health_geography as icb_code,
        -- dates
        cast(open_date as date) as open_date,
        cast(close_date as date) as close_date,
        -- version (valid period × version of etr.csv)
        {{ release_columns() }}
    from source
)

select * from renamed
