-- The failure scale: a trust's level is the highest level among the criteria it met (0 with none), and every
-- level above 0 is explained by at least one criterion.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_failure_scale'}}}) }}
with criteria as (
    select trust_code, period, max(level) as highest from {{ ref('int_failure_scale_criteria') }}
    where scenario = 'baseline' group by trust_code, period
    union all
    select trust_code, period, max(level) from {{ ref('int_failure_scale_systemic_criteria') }}
    where scenario = 'baseline' group by trust_code, period
),

highest as (
    select trust_code, period, max(highest) as highest from criteria group by trust_code, period
)

select scale.trust_code, scale.period, scale.level, highest.highest
from {{ ref('fct_trust_failure_scale') }} as scale
left join highest on highest.trust_code = scale.trust_code and highest.period = scale.period
where scale.level <> coalesce(highest.highest, 0)
   or (scale.level > 0 and scale.criteria_met = 0)
