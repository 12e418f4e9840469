{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- Health-economy stress for each trust, leaving the trust out (DOMAIN.md), per reporting month, methodology version
-- and calibration scenario: among the *other* trusts of its ICB that month — the share failing (level ≥ the failing level, on the
-- levels before the systemic criteria, which cannot change who is failing), their combined year-to-date I&E
-- margin, and their combined sickness absence rate against England's. The economy is failing for the trust when
-- enough of those measures pass their bars. A trust's own failure can never make its economy look failing.
-- Figures count only where current (a finance return or sickness figure within the version's staleness limit). A
-- measure with no figures is, by the version's rule, not passed (v1) or unknown (v2: the verdict counts only the
-- measures assessed, and needs at least economy_measures_assessable_min of them).
with criteria as (
    select methodology_version, scenario, trust_code, period, max(level) as base_level
    from {{ ref('int_failure_scale_criteria') }}
    where status = 'met'
    group by methodology_version, scenario, trust_code, period
),

members as (
    select
        evaluated.methodology_version,
        evaluated.scenario,
        evaluated.trust_code,
        evaluated.period,
        evaluated.period_index,
        evaluated.icb_code,
        evaluated.trust_overall_rating,
        evaluated.trust_rating_date,
        evaluated.economy_missing_measure_rule,
        evaluated.sustained_history_rule,
        evaluated.failing_level,
        evaluated.serious_failure_level,
        evaluated.economy_failing_share,
        evaluated.economy_margin_pct,
        evaluated.economy_sickness_excess_pct,
        evaluated.economy_failing_measures,
        evaluated.economy_measures_assessable_min,
        evaluated.sustained_serious_months,
        coalesce(criteria.base_level, 0) as base_level,
        case when coalesce(criteria.base_level, 0) >= evaluated.failing_level then 1 else 0 end as is_failing,
        case when evaluated.finance_current then evaluated.ytd_actual_surplus end as ytd_actual_surplus,
        case when evaluated.finance_current then evaluated.ytd_operating_income end as ytd_operating_income,
        case when evaluated.sickness_current then evaluated.sickness_fte_days_lost end as sickness_fte_days_lost,
        case when evaluated.sickness_current then evaluated.sickness_fte_days_available end
            as sickness_fte_days_available
    from {{ ref('int_failure_scale_evaluated') }} as evaluated
    left join criteria
        on criteria.methodology_version = evaluated.methodology_version
        and criteria.scenario = evaluated.scenario
        and criteria.trust_code = evaluated.trust_code
        and criteria.period = evaluated.period
),

-- each economy's and England's totals, grouped once and joined back to the members (as window aggregates over the
-- same partitions they took half as long again); exact sums: the same inputs give the same figures whatever order
-- the rows come in
economies as (
    select
        methodology_version,
        scenario,
        icb_code,
        period,
        count(*) as economy_trusts,
        sum(is_failing) as economy_failing_trusts,
        cast({{ exact_sum('ytd_actual_surplus') }} as double) as economy_surplus,
        cast({{ exact_sum('ytd_operating_income') }} as double) as economy_income,
        cast({{ exact_sum('sickness_fte_days_lost') }} as double) as economy_days_lost,
        cast({{ exact_sum('sickness_fte_days_available') }} as double) as economy_days_available
    from members
    group by methodology_version, scenario, icb_code, period
),

england as (
    select
        methodology_version,
        scenario,
        period,
        100.0 * cast({{ exact_sum('sickness_fte_days_lost') }} as double)
            / nullif(cast({{ exact_sum('sickness_fte_days_available') }} as double), 0) as england_sickness_rate
    from members
    group by methodology_version, scenario, period
),

totals as (
    select
        members.*,
        economies.economy_trusts,
        economies.economy_failing_trusts,
        economies.economy_surplus,
        economies.economy_income,
        economies.economy_days_lost,
        economies.economy_days_available,
        england.england_sickness_rate
    from members
    inner join economies
        on economies.methodology_version = members.methodology_version
        and economies.scenario = members.scenario
        and economies.icb_code is not distinct from members.icb_code   -- a trust without an ICB: one group, as before
        and economies.period = members.period
    inner join england
        on england.methodology_version = members.methodology_version
        and england.scenario = members.scenario
        and england.period = members.period
),

left_out as (
    select
        totals.*,
        economy_trusts - 1 as other_trusts,
        cast(economy_failing_trusts - is_failing as double) / nullif(economy_trusts - 1, 0) as others_failing_share,
        100.0 * (economy_surplus - coalesce(ytd_actual_surplus, 0))
            / nullif(economy_income - coalesce(ytd_operating_income, 0), 0) as others_margin_pct,
        100.0 * (economy_days_lost - coalesce(sickness_fte_days_lost, 0))
            / nullif(economy_days_available - coalesce(sickness_fte_days_available, 0), 0) as others_sickness_rate
    from totals
),

measured as (
    select
        left_out.*,
        others_sickness_rate - england_sickness_rate as others_sickness_excess,
        case when others_failing_share >= economy_failing_share then 1 else 0 end
        + case when others_margin_pct <= economy_margin_pct then 1 else 0 end
        + case when others_sickness_rate - england_sickness_rate >= economy_sickness_excess_pct then 1 else 0 end
            as stress_measures_passed,
        case when others_failing_share is not null then 1 else 0 end
        + case when others_margin_pct is not null then 1 else 0 end
        + case when others_sickness_rate - england_sickness_rate is not null then 1 else 0 end
            as stress_measures_assessed
    from left_out
)

select
    methodology_version,
    scenario,
    trust_code,
    period,
    period_index,
    icb_code,
    base_level,
    is_failing,
    economy_trusts,
    economy_failing_trusts,
    other_trusts,
    others_failing_share,
    others_margin_pct,
    others_sickness_rate,
    england_sickness_rate,
    others_sickness_excess,
    stress_measures_passed,
    stress_measures_assessed,
    -- a trust alone in its economy has no others to measure: its economy's condition is unknown, not "fine"; so is
    -- one with too few measures assessed, where the version counts a measure without data as unknown
    case when other_trusts = 0 then null
         when economy_missing_measure_rule = 'unknown'
              and stress_measures_assessed < coalesce(economy_measures_assessable_min, 0) then null
         else stress_measures_passed >= economy_failing_measures end as economy_failing,
    economy_failing_share,
    economy_margin_pct,
    economy_sickness_excess_pct,
    economy_failing_measures,
    economy_measures_assessable_min,
    sustained_serious_months,
    serious_failure_level,
    sustained_history_rule,
    trust_overall_rating,
    trust_rating_date
from measured
