-- The level (0–5) of every trust in every reporting month under every calibration scenario: the highest level whose
-- criteria it met (levels 1–4 in int_failure_scale_criteria, 5 in int_failure_scale_systemic_criteria), 0 if none.
with stress as (
    select * from {{ ref('int_economy_stress') }}
),

all_criteria as (
    select scenario, trust_code, period, level from {{ ref('int_failure_scale_criteria') }}
    union all
    select scenario, trust_code, period, level from {{ ref('int_failure_scale_systemic_criteria') }}
)

select
    stress.scenario,
    stress.trust_code,
    stress.period,
    stress.icb_code,
    coalesce(max(all_criteria.level), 0) as level,
    stress.base_level,
    stress.economy_failing
from stress
left join all_criteria
    on all_criteria.scenario = stress.scenario
    and all_criteria.trust_code = stress.trust_code
    and all_criteria.period = stress.period
group by stress.scenario, stress.trust_code, stress.period, stress.icb_code, stress.base_level, stress.economy_failing
