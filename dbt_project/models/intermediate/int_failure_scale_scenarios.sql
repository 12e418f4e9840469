-- The failure scale's thresholds as one row per calibration scenario: the baseline (methodology v1 as published)
-- and, for each calibrated threshold, the same with that one threshold moved down and up by 10%.
with thresholds as (
    select * from {{ ref('failure_scale_thresholds') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

scenarios as (
    select 'baseline' as scenario, cast(null as {{ dbt.type_string() }}) as moved_threshold, 0 as direction
    union all
    select {{ dbt.concat(["threshold", "' -10%'"]) }}, threshold, -1 from thresholds where calibrated
    union all
    select {{ dbt.concat(["threshold", "' +10%'"]) }}, threshold, 1 from thresholds where calibrated
),

values_by_scenario as (
    select
        scenarios.scenario,
        scenarios.moved_threshold,
        scenarios.direction,
        thresholds.threshold,
        case when thresholds.threshold = scenarios.moved_threshold
             then thresholds.value * (1 + 0.1 * scenarios.direction)
             else thresholds.value end as value
    from scenarios
    cross join thresholds
)

select
    scenario,
    moved_threshold,
    direction,
    {%- for name in failure_scale_threshold_names() %}
    max(case when threshold = '{{ name }}' then value end) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from values_by_scenario
group by scenario, moved_threshold, direction
