{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- Level 5 (systemic failure) criteria, per methodology version × calibration scenario × trust × reporting month, each
-- met / not met / not assessable: level-4 criteria met while its economy is failing (leave-one-out; not assessable
-- where the economy's condition is unknown), or sustained for the configured number of consecutive months.
-- How far back "sustained" counts is the version's rule: within the reporting grid (v1 as built), or past the grid's
-- first month through the trust rating in force then, from its publication date (rating_in_force): a trust rated
-- Inadequate since April 2025 has been at level 4 since then even if the grid starts later. A run that reaches the
-- start of what the data can show without reaching the months needed is not assessable rather than not met.
-- As in int_failure_scale_criteria: every criterion for the baseline, the met ones only under the calibration
-- scenarios (which only count levels).
with stress as (
    select * from {{ ref('int_economy_stress') }}
),

runs as (
    select
        stress.*,
        max(case when base_level < serious_failure_level then period_index end) over (
            partition by methodology_version, scenario, trust_code order by period_index
            rows between unbounded preceding and current row) as last_month_below,
        min(period_index) over (partition by methodology_version, scenario, trust_code) as first_grid_month,
        first_value(trust_overall_rating) over (
            partition by methodology_version, scenario, trust_code order by period_index
            rows between unbounded preceding and unbounded following) as first_grid_rating,
        first_value(trust_rating_date) over (
            partition by methodology_version, scenario, trust_code order by period_index
            rows between unbounded preceding and unbounded following) as first_grid_rating_date
    from stress
),

counted as (
    select
        runs.*,
        -- the run before the grid: the months since the rating in force at its first month was published
        case when last_month_below is null and sustained_history_rule = 'rating_in_force'
                  and first_grid_rating = 'Inadequate' and first_grid_rating_date is not null
             then first_grid_month - {{ month_index('first_grid_rating_date') }}
             else 0 end as months_before_grid,
        period_index - coalesce(last_month_below, first_grid_month - 1) as months_in_grid
    from runs
),

sustained as (
    select
        counted.*,
        case when base_level >= serious_failure_level then months_in_grid + greatest(months_before_grid, 0)
             else 0 end as serious_failure_months,
        -- the run reaches back to where the data stops showing: not bounded by a month below level 4
        last_month_below is null and months_before_grid <= 0 as run_reaches_data_start
    from counted
),

criteria as (
    select methodology_version, scenario, trust_code, period, 5 as level,
           'serious_failure_in_failing_economy' as criterion,
           {{ criterion_status('base_level >= serious_failure_level and economy_failing',
                               'base_level < serious_failure_level or economy_failing is not null') }} as status,
           {{ dbt.concat(["'level '", dbt.cast('base_level', dbt.type_string()),
                          "'; economy stress measures passed '", dbt.cast('stress_measures_passed', dbt.type_string()),
                          "' of '", dbt.cast('stress_measures_assessed', dbt.type_string()), "' assessed'"]) }}
               as criterion_value,
           {{ dbt.concat(["'level '", threshold_text('serious_failure_level'), "' and at least '",
                          threshold_text('economy_failing_measures'), "' measures (leave-one-out)'"]) }}
               as criterion_threshold,
           'economy condition' as source, period as source_date,
           case when base_level >= serious_failure_level and economy_failing is null then
               case when other_trusts = 0 then 'no other trust in the health economy'
                    else {{ dbt.concat(["'economy stress: only '", dbt.cast('stress_measures_assessed', dbt.type_string()),
                                        "' measures could be assessed'"]) }} end
           end as missing_input
    from sustained

    union all

    select methodology_version, scenario, trust_code, period, 5, 'serious_failure_sustained',
           {{ criterion_status('serious_failure_months >= ceil(sustained_serious_months)',
                               'base_level < serious_failure_level or not run_reaches_data_start') }},
           {{ dbt.cast('serious_failure_months', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", threshold_text('ceil(sustained_serious_months)'),
                          "' consecutive months at level '", threshold_text('serious_failure_level')]) }},
           'failure scale history', period,
           case when base_level >= serious_failure_level and run_reaches_data_start then
               {{ dbt.concat(["'level '", threshold_text('serious_failure_level'), "' in every month the data shows ('",
                              dbt.cast('serious_failure_months', dbt.type_string()), "')'"]) }}
           end
    from sustained
)

select * from criteria
where scenario = 'baseline' or status = 'met'
