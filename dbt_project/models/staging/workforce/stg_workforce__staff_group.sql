-- Every version of every (organisation, staff group, data type, month) figure, one row per release that set it.
with source as (
    select * from {{ source('workforce', 'staff_group') }}
),

renamed as (
    select
        -- keys
        org_code,
        cast(month_end as date) as month_end,
        staff_group,
        staff_group_sort_order,
        data_type,
        -- organisation as the file names it
        org_name,
        region_code,
        icb_code,
        cluster_group,
        benchmark_group,
        -- measure: NULL with a reason where suppressed, never 0
        value as staff_value,
        value_missing_reason as staff_value_missing_reason,
        -- release (valid period × release)
        {{ release_columns() }}
    from source
)

select * from renamed
