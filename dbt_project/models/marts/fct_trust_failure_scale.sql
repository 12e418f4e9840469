-- The calibrated failure scale (DOMAIN.md) per methodology version × trust × reporting month: the level (0 no
-- identified concern … 5 systemic failure), every criterion met (JSON list, each with its value, the threshold as
-- configured, its source and the source's publication date), the consequence attached to the level, and whether the
-- assessment is complete (false where a criterion not assessable could have put the trust higher, with what was
-- missing). Every version in the seeds is built; the API serves the latest unless asked. Built from what was known
-- at each month's end. Every criterion with its status: fct_trust_failure_scale_criteria.
with levels as (
    select * from {{ ref('int_failure_scale_levels') }} where scenario = 'baseline'
),

criteria as (
    select * from {{ ref('fct_trust_failure_scale_criteria') }} where status = 'met'
),

criteria_lists as (
    select
        methodology_version,
        trust_code,
        period,
        count(*) as criteria_met,
        {{ ordered_listagg(criterion_json(), "', '", ['-level', 'criterion']) }} as criteria_items
    from criteria
    group by methodology_version, trust_code, period
),

scale as (
    select * from {{ ref('failure_scale_levels') }}
)

select
    levels.trust_code,
    levels.period,
    levels.level,
    scale.level_name,
    levels.methodology_version,
    {{ dbt.concat(["'['", "coalesce(criteria_lists.criteria_items, '')", "']'"]) }} as criteria,
    coalesce(criteria_lists.criteria_met, 0) as criteria_met,
    scale.consequence,
    levels.assessment_complete,
    levels.criteria_not_assessable,
    levels.missing_inputs,
    levels.economy_failing,
    levels.icb_code,
    trust_months.restated_trust_code
from levels
inner join scale on scale.methodology_version = levels.methodology_version and scale.level = levels.level
inner join {{ ref('int_trust_months') }} as trust_months
    on trust_months.trust_code = levels.trust_code and trust_months.period = levels.period
left join criteria_lists
    on criteria_lists.methodology_version = levels.methodology_version
    and criteria_lists.trust_code = levels.trust_code and criteria_lists.period = levels.period
