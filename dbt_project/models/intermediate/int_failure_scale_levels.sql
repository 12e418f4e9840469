{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- The level (0–5) of every trust in every reporting month under every methodology version and calibration scenario:
-- the highest level whose criteria it met (levels 1–4 in int_failure_scale_criteria, 5 in
-- int_failure_scale_systemic_criteria), 0 if none; and whether the assessment is complete — false where a criterion
-- that could not be assessed could have put it higher — with what was missing (for the baseline, the published
-- levels; NULL under the calibration scenarios, which only count levels).
with stress as (
    select * from {{ ref('int_economy_stress') }}
),

all_criteria as (
    select methodology_version, scenario, trust_code, period, level, status, criterion, missing_input
    from {{ ref('int_failure_scale_criteria') }}
    union all
    select methodology_version, scenario, trust_code, period, level, status, criterion, missing_input
    from {{ ref('int_failure_scale_systemic_criteria') }}
),

-- the highest level met (one pass over the criteria), from the criteria met only: a trust-month with none is not
-- here and its level is 0 (below). Grouping every criterion instead held a group for every trust, month and scenario
-- — at 10× England, 280 million criteria into 21.6 million groups, past DuckDB's 2 GB; the met ones are 22 million
met as (
    select
        methodology_version,
        scenario,
        trust_code,
        period,
        max(level) as level
    from all_criteria
    where status = 'met'
    group by methodology_version, scenario, trust_code, period
),

-- the published levels' criteria (the baseline's), each beside the highest level its trust met that month: read on
-- their own, not from all_criteria nor `met`, so that each of those is read once, as a stream (DuckDB holds a CTE
-- read twice whole: here every scenario's criteria or levels for every trust and month). The same rows, in about two
-- thirds of the time on the small England's whole history (10× England fits because of `met` above, not this)
baseline_criteria as (
    select
        criteria.*,
        coalesce(max(case when status = 'met' then level end)
            over (partition by methodology_version, scenario, trust_code, period), 0) as level_met
    from (
        select methodology_version, scenario, trust_code, period, level, status, criterion, missing_input
        from {{ ref('int_failure_scale_criteria') }}
        where scenario = 'baseline'
        union all
        select methodology_version, scenario, trust_code, period, level, status, criterion, missing_input
        from {{ ref('int_failure_scale_systemic_criteria') }}
        where scenario = 'baseline'
    ) as criteria
),

-- the criteria not assessable above that level: what could have put the trust higher — for the published levels
-- (the baseline); the calibration scenarios count levels only (rpt_calibration)
missing as (
    select
        methodology_version,
        scenario,
        trust_code,
        period,
        count(*) as criteria_not_assessable,
        {{ ordered_listagg(dbt.concat(["criterion", "': '", "coalesce(missing_input, 'not assessable')"]),
                           "'; '", ['criterion']) }} as missing_inputs
    from baseline_criteria
    where status = 'not_assessable' and level > level_met
    group by methodology_version, scenario, trust_code, period
)

select
    stress.methodology_version,
    stress.scenario,
    stress.trust_code,
    stress.period,
    stress.icb_code,
    coalesce(met.level, 0) as level,
    stress.base_level,
    stress.economy_failing,
    case when stress.scenario = 'baseline' then missing.trust_code is null end as assessment_complete,
    case when stress.scenario = 'baseline' then coalesce(missing.criteria_not_assessable, 0) end
        as criteria_not_assessable,
    missing.missing_inputs
from stress
left join met
    on met.methodology_version = stress.methodology_version
    and met.scenario = stress.scenario
    and met.trust_code = stress.trust_code
    and met.period = stress.period
left join missing
    on missing.methodology_version = stress.methodology_version
    and missing.scenario = stress.scenario
    and missing.trust_code = stress.trust_code
    and missing.period = stress.period
