-- Health-economy stress for each trust, leaving the trust out (DOMAIN.md), per reporting month and calibration
-- scenario: among the *other* trusts of its ICB that month — the share failing (level ≥ the failing level, on the
-- levels before the systemic criteria, which cannot change who is failing), their combined year-to-date I&E
-- margin, and their combined sickness absence rate against England's. The economy is failing for the trust when
-- enough of those measures pass their bars. A trust's own failure can never make its economy look failing.
with criteria as (
    select scenario, trust_code, period, max(level) as base_level
    from {{ ref('int_failure_scale_criteria') }}
    group by scenario, trust_code, period
),

members as (
    select
        scenarios.*,
        inputs.trust_code,
        inputs.period,
        inputs.period_index,
        inputs.icb_code,
        coalesce(criteria.base_level, 0) as base_level,
        case when coalesce(criteria.base_level, 0) >= scenarios.failing_level then 1 else 0 end as is_failing,
        inputs.ytd_actual_surplus,
        inputs.ytd_operating_income,
        inputs.sickness_fte_days_lost,
        inputs.sickness_fte_days_available
    from {{ ref('int_failure_scale_inputs') }} as inputs
    cross join {{ ref('int_failure_scale_scenarios') }} as scenarios
    left join criteria
        on criteria.scenario = scenarios.scenario
        and criteria.trust_code = inputs.trust_code
        and criteria.period = inputs.period
),

totals as (
    select
        members.*,
        count(*) over (partition by scenario, icb_code, period) as economy_trusts,
        sum(is_failing) over (partition by scenario, icb_code, period) as economy_failing_trusts,
        -- exact sums: the same inputs give the same figures whatever order the rows come in
        cast({{ exact_sum('ytd_actual_surplus') }} over (partition by scenario, icb_code, period) as double)
            as economy_surplus,
        cast({{ exact_sum('ytd_operating_income') }} over (partition by scenario, icb_code, period) as double)
            as economy_income,
        cast({{ exact_sum('sickness_fte_days_lost') }} over (partition by scenario, icb_code, period) as double)
            as economy_days_lost,
        cast({{ exact_sum('sickness_fte_days_available') }} over (partition by scenario, icb_code, period) as double)
            as economy_days_available,
        100.0 * cast({{ exact_sum('sickness_fte_days_lost') }} over (partition by scenario, period) as double)
            / nullif(cast({{ exact_sum('sickness_fte_days_available') }} over (partition by scenario, period) as double), 0)
            as england_sickness_rate
    from members
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
            as stress_measures_passed
    from left_out
)

select
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
    -- a trust alone in its economy has no others to measure: its economy's condition is unknown, not "fine"
    case when other_trusts = 0 then null
         else stress_measures_passed >= economy_failing_measures end as economy_failing,
    economy_failing_share,
    economy_margin_pct,
    economy_sickness_excess_pct,
    economy_failing_measures,
    sustained_serious_months
from measured
