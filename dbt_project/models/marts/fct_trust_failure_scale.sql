-- The calibrated failure scale (DOMAIN.md, methodology v1) per trust × reporting month: the level (0 no identified
-- concern … 5 systemic failure), every criterion met (JSON list, each with its value, threshold, source and date),
-- and the consequence attached to the level. Built from what was known at each month's end.
with levels as (
    select * from {{ ref('int_failure_scale_levels') }} where scenario = 'baseline'
),

criteria as (
    select * from {{ ref('int_failure_scale_criteria') }} where scenario = 'baseline'
    union all
    select * from {{ ref('int_failure_scale_systemic_criteria') }} where scenario = 'baseline'
),

criteria_lists as (
    select
        trust_code,
        period,
        count(*) as criteria_met,
        {{ ordered_listagg(criterion_json(), "', '", ['-level', 'criterion']) }} as criteria_items
    from criteria
    group by trust_code, period
),

scale as (
    select * from {{ ref('failure_scale_levels') }}
    where methodology_version = '{{ var("methodology_version") }}'
)

select
    levels.trust_code,
    levels.period,
    levels.level,
    scale.level_name,
    '{{ var("methodology_version") }}' as methodology_version,
    {{ dbt.concat(["'['", "coalesce(criteria_lists.criteria_items, '')", "']'"]) }} as criteria,
    coalesce(criteria_lists.criteria_met, 0) as criteria_met,
    scale.consequence,
    levels.economy_failing,
    levels.icb_code,
    trust_months.restated_trust_code
from levels
inner join scale on scale.level = levels.level
inner join {{ ref('int_trust_months') }} as trust_months
    on trust_months.trust_code = levels.trust_code and trust_months.period = levels.period
left join criteria_lists on criteria_lists.trust_code = levels.trust_code and criteria_lists.period = levels.period
