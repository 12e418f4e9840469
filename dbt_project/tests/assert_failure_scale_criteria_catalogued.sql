-- Every criterion the failure scale's SQL evaluates is in the failure_scale_criteria catalogue of its methodology
-- version at the same level, with the same source: the API describes the criteria from the catalogue, so the two
-- must not drift apart.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_failure_scale'}}}) }}
with evaluated as (
    select distinct methodology_version, criterion, level, source from {{ ref('fct_trust_failure_scale_criteria') }}
)

select evaluated.methodology_version, evaluated.criterion, evaluated.level, evaluated.source
from evaluated
left join {{ ref('failure_scale_criteria') }} as catalogue
    on catalogue.methodology_version = evaluated.methodology_version
    and catalogue.criterion = evaluated.criterion
    and catalogue.level = evaluated.level
    and catalogue.source = evaluated.source
where catalogue.criterion is null
