{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- The failure scale's thresholds and rules as one row per methodology version × calibration scenario: each
-- version's baseline (as published) and, for each calibrated threshold, the same with that one threshold moved
-- down and up — by its `calibration_step` where it has one (whole numbers: counts, scores, months), else by 10%.
-- Every version in the seeds is built: a new version is new seed rows, not new SQL.
with thresholds as (
    select * from {{ ref('failure_scale_thresholds') }}
),

rules as (
    select
        methodology_version,
        max(case when rule = 'domains' then setting end) as domains_rule,
        max(case when rule = 'economy_missing_measure' then setting end) as economy_missing_measure_rule,
        max(case when rule = 'sustained_history' then setting end) as sustained_history_rule
    from {{ ref('failure_scale_rules') }}
    group by methodology_version
),

versions as (
    select distinct methodology_version from thresholds
),

moves as (
    select 1 as direction union all select -1
),

scenarios as (
    select methodology_version, 'baseline' as scenario, cast(null as {{ dbt.type_string() }}) as moved_threshold,
           0 as direction, cast(null as {{ dbt.type_string() }}) as move
    from versions
    union all
    select
        thresholds.methodology_version,
        {{ dbt.concat(["thresholds.threshold", "case when moves.direction > 0 then ' +' else ' -' end",
                       "case when thresholds.calibration_step is not null then "
                       ~ threshold_text('thresholds.calibration_step') ~ " else '10%' end"]) }},
        thresholds.threshold,
        moves.direction,
        case when thresholds.calibration_step is not null then 'one step' else '10%' end
    from thresholds
    cross join moves
    where thresholds.calibrated
),

values_by_scenario as (
    select
        scenarios.methodology_version,
        scenarios.scenario,
        scenarios.moved_threshold,
        scenarios.direction,
        scenarios.move,
        thresholds.threshold,
        case when thresholds.threshold <> coalesce(scenarios.moved_threshold, '') then thresholds.value
             when thresholds.calibration_step is not null
                 then thresholds.value + thresholds.calibration_step * scenarios.direction
             else thresholds.value * (1 + 0.1 * scenarios.direction) end as value
    from scenarios
    inner join thresholds on thresholds.methodology_version = scenarios.methodology_version
)

select
    values_by_scenario.methodology_version,
    scenario,
    moved_threshold,
    direction,
    move,
    rules.domains_rule,
    rules.economy_missing_measure_rule,
    rules.sustained_history_rule,
    {%- for name in failure_scale_threshold_names() %}
    max(case when threshold = '{{ name }}' then value end) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from values_by_scenario
inner join rules on rules.methodology_version = values_by_scenario.methodology_version
group by values_by_scenario.methodology_version, scenario, moved_threshold, direction, move, rules.domains_rule,
         rules.economy_missing_measure_rule, rules.sustained_history_rule
