-- The methodology versions side by side (issue: v2 beside v1): per reporting month and trust, its level under each
-- version and under the one before it, and whether it moved — so the calibration report can say how many trusts
-- sit at each level under each version and which trusts move between them.
with levels as (
    select methodology_version, trust_code, period, level, assessment_complete
    from {{ ref('int_failure_scale_levels') }}
    where scenario = 'baseline'
),

-- versions in their numeric order (v2 after v1, v10 after v9: never as text, where 'v10' < 'v2'), as the API orders
-- them (api/deps.py version_order); versions are named v<number>
versions as (
    select
        methodology_version,
        row_number() over (
            order by cast(substr(methodology_version, 2) as {{ dbt.type_int() }}), methodology_version
        ) as version_order
    from (select distinct methodology_version from levels) as distinct_versions
),

ordered as (
    select levels.*, versions.version_order
    from levels
    inner join versions on versions.methodology_version = levels.methodology_version
)

select
    later.period,
    later.trust_code,
    earlier.methodology_version as from_version,
    later.methodology_version as to_version,
    earlier.level as from_level,
    later.level as to_level,
    later.level - earlier.level as level_change,
    later.level <> earlier.level as moved,
    later.assessment_complete as to_assessment_complete
from ordered as later
inner join ordered as earlier
    on earlier.trust_code = later.trust_code
    and earlier.period = later.period
    and earlier.version_order = later.version_order - 1
