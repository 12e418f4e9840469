-- Every version of every (organisation, month) figure, one row per release that set or removed it.
with source as (
    select * from {{ source('workforce', 'sickness_absence') }}
),

renamed as (
    select
        -- keys
        org_code,
        cast(month_end as date) as month_end,
        -- organisation as the file names it
        org_name,
        org_type,
        region_code,
        ics_code,
        -- measures: NULL with a reason where the file suppressed them, never 0
        fte_days_lost,
        fte_days_lost_missing_reason,
        fte_days_available,
        fte_days_available_missing_reason,
        sickness_absence_rate_percent,
        sickness_absence_rate_percent_missing_reason,
        -- release (valid period × release)
        {{ release_columns() }}
    from source
)

select * from renamed
