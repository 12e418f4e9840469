-- The failure scale: a trust's level is the highest level among the criteria it met (0 with none), and every
-- level above 0 is explained by at least one criterion; under every methodology version.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_failure_scale'}}}) }}
with highest as (
    select methodology_version, trust_code, period, max(level) as highest
    from {{ ref('fct_trust_failure_scale_criteria') }}
    where status = 'met'
    group by methodology_version, trust_code, period
)

select scale.methodology_version, scale.trust_code, scale.period, scale.level, highest.highest
from {{ ref('fct_trust_failure_scale') }} as scale
left join highest
    on highest.methodology_version = scale.methodology_version
    and highest.trust_code = scale.trust_code and highest.period = scale.period
where scale.level <> coalesce(highest.highest, 0)
   or (scale.level > 0 and scale.criteria_met = 0)
