-- Every criterion the failure scale's SQL can meet is in the failure_scale_criteria catalogue at the same level,
-- with the same source: the API lists the criteria not met from the catalogue, so the two must not drift apart.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_failure_scale'}}}) }}
with met as (
    select distinct criterion, level, source from {{ ref('int_failure_scale_criteria') }}
    union
    select distinct criterion, level, source from {{ ref('int_failure_scale_systemic_criteria') }}
)

select met.criterion, met.level, met.source
from met
left join {{ ref('failure_scale_criteria') }} as catalogue
    on catalogue.methodology_version = '{{ var("methodology_version") }}'
    and catalogue.criterion = met.criterion
    and catalogue.level = met.level
    and catalogue.source = met.source
where catalogue.criterion is null
