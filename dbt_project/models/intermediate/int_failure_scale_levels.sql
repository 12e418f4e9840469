-- The level (0–5) of every trust in every reporting month under every methodology version and calibration scenario:
-- the highest level whose criteria it met (levels 1–4 in int_failure_scale_criteria, 5 in
-- int_failure_scale_systemic_criteria), 0 if none; and whether the assessment is complete — false where a criterion
-- that could not be assessed could have put it higher — with what was missing.
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

levels as (
    select
        stress.methodology_version,
        stress.scenario,
        stress.trust_code,
        stress.period,
        stress.icb_code,
        coalesce(max(case when all_criteria.status = 'met' then all_criteria.level end), 0) as level,
        stress.base_level,
        stress.economy_failing
    from stress
    left join all_criteria
        on all_criteria.methodology_version = stress.methodology_version
        and all_criteria.scenario = stress.scenario
        and all_criteria.trust_code = stress.trust_code
        and all_criteria.period = stress.period
    group by stress.methodology_version, stress.scenario, stress.trust_code, stress.period, stress.icb_code,
             stress.base_level, stress.economy_failing
),

missing as (
    select
        levels.methodology_version,
        levels.scenario,
        levels.trust_code,
        levels.period,
        count(all_criteria.criterion) as criteria_not_assessable,
        {{ ordered_listagg(dbt.concat(["all_criteria.criterion", "': '",
                                       "coalesce(all_criteria.missing_input, 'not assessable')"]),
                           "'; '", ['all_criteria.criterion']) }} as missing_inputs
    from levels
    inner join all_criteria
        on all_criteria.methodology_version = levels.methodology_version
        and all_criteria.scenario = levels.scenario
        and all_criteria.trust_code = levels.trust_code
        and all_criteria.period = levels.period
        and all_criteria.status = 'not_assessable'
        and all_criteria.level > levels.level
    group by levels.methodology_version, levels.scenario, levels.trust_code, levels.period
)

select
    levels.*,
    missing.trust_code is null as assessment_complete,
    coalesce(missing.criteria_not_assessable, 0) as criteria_not_assessable,
    missing.missing_inputs
from levels
left join missing
    on missing.methodology_version = levels.methodology_version
    and missing.scenario = levels.scenario
    and missing.trust_code = levels.trust_code
    and missing.period = levels.period
