-- Every entry criterion of the failure scale for every trust × reporting month, under each methodology version: met,
-- not met or not assessable (its input missing that month, or older than the version's staleness limit — then
-- `missing_input` says which and how old), with the value, the threshold as configured, the source, the source's
-- publication date, and whether reading its value needs restricted data (from the criteria catalogue). The one home
-- of the three-valued rule: the API serves these rows as they are.
with criteria as (
    select * from {{ ref('int_failure_scale_criteria') }} where scenario = 'baseline'
    union all
    select * from {{ ref('int_failure_scale_systemic_criteria') }} where scenario = 'baseline'
)

select
    criteria.methodology_version,
    criteria.trust_code,
    criteria.period,
    criteria.level,
    criteria.criterion,
    criteria.status,
    case when criteria.status = 'not_assessable' then null else criteria.criterion_value end as criterion_value,
    criteria.criterion_threshold,
    criteria.source,
    criteria.source_date,
    criteria.missing_input,
    catalogue.data_access,
    catalogue.description
from criteria
left join {{ ref('failure_scale_criteria') }} as catalogue
    on catalogue.methodology_version = criteria.methodology_version and catalogue.criterion = criteria.criterion
