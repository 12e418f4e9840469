-- Every Great Expectations suite evaluated, on a feed's parsed rows (before they were stored) or on a mart.
with source as (
    select * from {{ source('quality', 'checks') }}
),

renamed as (
    select
        asset,
        coalesce(partition_key, '') as partition_key,
        suite,
        recorded_at,
        run_id,
        expectations,
        passed as expectations_passed,
        failed_critical as expectations_failed_critical,
        failed_warning as expectations_failed_warning,
        severity,
        failures
    from source
)

select * from renamed
