-- The months the platform reports on: every month end from the first to the last month in which a monthly
-- release (finance return, sickness absence, ratings snapshot) was published.
with published as (
    select published_on from {{ ref('stg_finance__monthly_returns') }}
    union all
    select published_on from {{ ref('stg_workforce__sickness_absence') }}
    union all
    select published_on from {{ ref('stg_cqc__latest_ratings') }}
),

bounds as (
    select
        {{ dbt.date_trunc('month', 'min(published_on)') }} as first_month,
        max(published_on) as last_published
    from published
),

numbers as (
    {{ numbers_from_zero(var('report_months_max')) }}
),

months as (
    select
        cast({{ dbt.last_day(dbt.dateadd('month', 'numbers.k', 'bounds.first_month'), 'month') }} as date) as month_end,
        bounds.last_published
    from bounds
    cross join numbers
)

select month_end
from months
where month_end < {{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'last_published')) }}
