-- Calibration (DOMAIN.md): per methodology version, reporting month and scenario — the baseline, and each calibrated
-- threshold moved down and up (by one step where it is a whole number, else by 10%; `move` says which) — how many
-- trusts sit at each level, and how many would move (up or down) against the version's baseline. The versions side
-- by side: rpt_methodology_comparison.
with levels as (
    select * from {{ ref('int_failure_scale_levels') }}
),

scenarios as (
    select * from {{ ref('int_failure_scale_scenarios') }}
),

thresholds as (
    select methodology_version, threshold, value, calibration_step from {{ ref('failure_scale_thresholds') }}
),

compared as (
    select
        levels.methodology_version,
        levels.scenario,
        levels.period,
        levels.level,
        baseline.level as baseline_level
    from levels
    inner join levels as baseline
        on baseline.methodology_version = levels.methodology_version
        and baseline.scenario = 'baseline'
        and baseline.trust_code = levels.trust_code
        and baseline.period = levels.period
)

select
    compared.period,
    compared.scenario,
    coalesce(scenarios.moved_threshold, 'none') as moved_threshold,
    scenarios.direction,
    scenarios.move,
    thresholds.value as baseline_value,
    case when thresholds.calibration_step is not null
         then thresholds.value + thresholds.calibration_step * scenarios.direction
         else thresholds.value * (1 + 0.1 * scenarios.direction) end as scenario_value,
    count(*) as trusts,
    {%- for level in range(0, 6) %}
    count(case when compared.level = {{ level }} then 1 end) as trusts_at_level_{{ level }},
    {%- endfor %}
    count(case when compared.level <> compared.baseline_level then 1 end) as trusts_moved,
    count(case when compared.level > compared.baseline_level then 1 end) as trusts_moved_up,
    count(case when compared.level < compared.baseline_level then 1 end) as trusts_moved_down,
    compared.methodology_version
from compared
inner join scenarios
    on scenarios.methodology_version = compared.methodology_version and scenarios.scenario = compared.scenario
left join thresholds
    on thresholds.methodology_version = scenarios.methodology_version and thresholds.threshold = scenarios.moved_threshold
group by compared.methodology_version, compared.period, compared.scenario, scenarios.moved_threshold,
         scenarios.direction, scenarios.move, thresholds.value, thresholds.calibration_step
