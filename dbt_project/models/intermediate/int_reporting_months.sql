-- The months the platform reports on: every month end from the first to the last month in which a monthly
-- release (finance return, sickness absence, ratings snapshot) was published, up to the run's as-at date.
with releases as (
    select published_on from {{ ref('stg_finance__monthly_returns') }}
    union all
    select published_on from {{ ref('stg_workforce__sickness_absence') }}
    union all
    select published_on from {{ ref('stg_cqc__latest_ratings') }}
),

published as (
    select published_on from releases where published_on <= {{ as_at_date() }}
),

bounds as (
    select
        {{ dbt.date_trunc('month', 'min(published_on)') }} as first_month,
        {{ dbt.date_trunc('month', 'max(published_on)') }} as last_month
    from published
),

numbers as (
    {{ numbers_from_zero(var('report_months_max')) }}
),

-- One date function per step: nested cross-database date macros expand to tens of kilobytes on Spark.
month_starts as (
    select
        cast({{ dbt.dateadd('month', 'numbers.k', 'bounds.first_month') }} as date) as month_start,
        bounds.last_month
    from bounds
    cross join numbers
),

months as (
    select cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from month_starts
    where month_start <= last_month
)

select month_end
from months
