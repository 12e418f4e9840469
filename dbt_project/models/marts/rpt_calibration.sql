-- Calibration (DOMAIN.md): per reporting month and scenario — the baseline, and each calibrated threshold moved
-- down or up by 10% — how many trusts sit at each level, and how many would move (up or down) against the baseline.
with levels as (
    select * from {{ ref('int_failure_scale_levels') }}
),

scenarios as (
    select * from {{ ref('int_failure_scale_scenarios') }}
),

thresholds as (
    select threshold, value from {{ ref('failure_scale_thresholds') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

compared as (
    select
        levels.scenario,
        levels.period,
        levels.level,
        baseline.level as baseline_level
    from levels
    inner join levels as baseline
        on baseline.scenario = 'baseline'
        and baseline.trust_code = levels.trust_code
        and baseline.period = levels.period
)

select
    compared.period,
    compared.scenario,
    coalesce(scenarios.moved_threshold, 'none') as moved_threshold,
    scenarios.direction,
    thresholds.value as baseline_value,
    thresholds.value * (1 + 0.1 * scenarios.direction) as scenario_value,
    count(*) as trusts,
    {%- for level in range(0, 6) %}
    count(case when compared.level = {{ level }} then 1 end) as trusts_at_level_{{ level }},
    {%- endfor %}
    count(case when compared.level <> compared.baseline_level then 1 end) as trusts_moved,
    count(case when compared.level > compared.baseline_level then 1 end) as trusts_moved_up,
    count(case when compared.level < compared.baseline_level then 1 end) as trusts_moved_down,
    '{{ var("methodology_version") }}' as methodology_version
from compared
inner join scenarios on scenarios.scenario = compared.scenario
left join thresholds on thresholds.threshold = scenarios.moved_threshold
group by compared.period, compared.scenario, scenarios.moved_threshold, scenarios.direction, thresholds.value
