{{ config(materialized='table') }}  {# several models and tests read it: as a view, each would work it out again #}
-- One row per methodology version × trust × reporting month: the five finance metrics of the Single Oversight Framework, their scores
-- (1 best … 4 worst, bands from the finance_metric_thresholds seed) and the overall finance score, from the latest
-- in-year return the platform had received by the end of that month (point in time: later resubmissions do not
-- rewrite history), and how old that return is. Scored under each methodology version's bands (fct_trust_finance
-- shows the latest version's). RESTRICTED data (in-year returns).
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

returns as (
    select * from {{ ref('stg_finance__monthly_returns') }}
),

-- each return period's versions, the latest release first, each received on its publication date. The version
-- known at a month end is the first in that order among those received by then: each such version is in force from
-- its receipt until a later release's (an interval, as in int_cqc_ratings_known), so no month × version ranking
ordered as (
    select
        returns.*,
        row_number() over (partition by returns.org_code, returns.period_end order by returns.release_key desc)
            as version_order
    from returns
    where returns.published_on is not null
),

best_so_far as (
    select
        *,
        min(version_order) over (
            partition by org_code, period_end
            order by published_on range between unbounded preceding and current row
        ) as best_order
    from ordered
),

in_force as (
    select
        *,
        lead(published_on) over (partition by org_code, period_end order by published_on) as superseded_on
    from best_so_far
    where version_order = best_order
),

-- the newest return period each trust had filed (and not withdrawn) by each month end
latest_period as (
    select months.month_end as period, in_force.org_code, max(in_force.period_end) as period_end
    from months
    inner join in_force
        on in_force.published_on <= months.month_end
        and (in_force.superseded_on is null or months.month_end < in_force.superseded_on)
    where in_force.release_change <> 'removed'
    group by months.month_end, in_force.org_code
),

-- that period's version in force at the month end
latest_return as (
    select
        latest_period.period,
        in_force.*
    from latest_period
    inner join in_force
        on in_force.org_code = latest_period.org_code
        and in_force.period_end = latest_period.period_end
        and in_force.published_on <= latest_period.period
        and (in_force.superseded_on is null or latest_period.period < in_force.superseded_on)
),

metrics as (
    select
        period,
        org_code as trust_code,
        period_end as return_period_end,
        published_on as return_received_on,
        received_on as return_platform_received_on,
        financial_year,
        revenue_available_for_capital_service / nullif(capital_service, 0) as capital_service_capacity,
        liquidity_days,
        100.0 * ytd_actual_surplus / nullif(ytd_operating_income, 0) as income_expenditure_margin_pct,
        100.0 * (ytd_actual_surplus - ytd_plan_surplus) / nullif(ytd_operating_income, 0) as distance_from_plan_pct,
        100.0 * (ytd_agency_spend - ytd_agency_ceiling) / nullif(ytd_agency_ceiling, 0)
            as agency_spend_above_ceiling_pct,
        ytd_actual_surplus,
        ytd_operating_income,
        release_key,
        source_sha256
    from latest_return
),

versions as (
    select distinct methodology_version from {{ ref('finance_metric_thresholds') }}
),

scored as (
    select
        versions.methodology_version,
        metrics.*,
        capacity_band.score as capital_service_capacity_score,
        liquidity_band.score as liquidity_score,
        margin_band.score as income_expenditure_margin_score,
        plan_band.score as distance_from_plan_score,
        agency_band.score as agency_spend_score
    from metrics
    cross join versions
    {{ finance_band_join('capital_service_capacity', 'metrics.capital_service_capacity', 'capacity_band',
                         'versions.methodology_version') }}
    {{ finance_band_join('liquidity_days', 'metrics.liquidity_days', 'liquidity_band',
                         'versions.methodology_version') }}
    {{ finance_band_join('income_expenditure_margin', 'metrics.income_expenditure_margin_pct', 'margin_band',
                         'versions.methodology_version') }}
    {{ finance_band_join('distance_from_plan', 'metrics.distance_from_plan_pct', 'plan_band',
                         'versions.methodology_version') }}
    {{ finance_band_join('agency_spend_above_ceiling', 'metrics.agency_spend_above_ceiling_pct', 'agency_band',
                         'versions.methodology_version') }}
)

select
    -- keys
    trust_code,
    period,
    methodology_version,
    -- the return the figures come from: its month, when it was received (its publication date, DOMAIN.md) and when
    -- this platform got it, and its age in months at the reporting month (staleness is judged on it)
    return_period_end,
    return_received_on,
    return_received_on as published_on,
    return_platform_received_on as received_on,
    {{ month_index('period') }} - {{ month_index('return_period_end') }} as return_age_months,
    financial_year,
    -- metrics
    capital_service_capacity,
    liquidity_days,
    income_expenditure_margin_pct,
    distance_from_plan_pct,
    agency_spend_above_ceiling_pct,
    -- the year-to-date figures an economy's combined position is built from (£000)
    ytd_actual_surplus,
    ytd_operating_income,
    -- scores, on the SOF finance scale: 1 best … 4 worst
    capital_service_capacity_score,
    liquidity_score,
    income_expenditure_margin_score,
    distance_from_plan_score,
    agency_spend_score,
    {{ overall_finance_score(['capital_service_capacity_score', 'liquidity_score', 'income_expenditure_margin_score',
                              'distance_from_plan_score', 'agency_spend_score']) }} as overall_finance_score,
    'sof_finance_1_best_4_worst' as score_scale,
    'restricted' as access,
    release_key as source_release,
    source_sha256
from scored
