-- The months the platform reports on: every month end from the earliest month any input describes — a CQC rating's
-- publication (the API's history reaches back to 2014), the workforce series' first month, the first financial
-- year of the annual accounts, the first in-year finance return — to the last month in which a monthly release
-- (finance return, sickness absence, ratings sheet) was published, up to the run's as-at date (at most
-- var report_months_max months, counted back from the last). Each month sees only what was known at its end: a
-- criterion whose input did not exist yet is not assessable there (DOMAIN.md, "Methodology v2" → History).
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

-- the earliest month each input describes (what the platform holds of it, whenever it was published)
described as (
    select min(publication_date) as first_day from {{ ref('int_cqc_rating_events') }} where is_rating
    union all
    select min(month_end) from {{ ref('stg_workforce__staff_group') }}
    union all
    select min(month_end) from {{ ref('stg_workforce__sickness_absence') }}
    union all
    select min(period_end) from {{ ref('stg_finance__monthly_returns') }}
    union all
    -- a financial year "2022-23" begins in April 2022
    select min(cast({{ dbt.concat(["substr(financial_year, 1, 4)", "'-04-01'"]) }} as date))
    from {{ ref('stg_finance__tac') }}
),

bounds as (
    select
        {{ dbt.date_trunc('month', 'min(published_on)') }} as first_release_month,
        {{ dbt.date_trunc('month', 'max(published_on)') }} as last_month
    from published
),

first_described as (
    select {{ dbt.date_trunc('month', 'min(first_day)') }} as first_described_month
    from described
    where first_day <= {{ as_at_date() }}
),

numbers as (
    {{ numbers_from_zero(var('report_months_max') - 1) }}
),

-- One date function per step: nested cross-database date macros expand to tens of kilobytes on Spark.
month_starts as (
    select
        cast({{ dbt.dateadd('month', '-1 * numbers.k', 'bounds.last_month') }} as date) as month_start,
        bounds.first_release_month,
        first_described.first_described_month
    from bounds
    cross join first_described
    cross join numbers
),

months as (
    select cast({{ dbt.last_day('month_start', 'month') }} as date) as month_end
    from month_starts
    where month_start >= coalesce(least(first_described_month, first_release_month), first_release_month)
)

select month_end
from months
