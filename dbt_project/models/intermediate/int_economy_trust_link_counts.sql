-- Per methodology version and reporting month: the 2×2 table of trust failing (level ≥ the version's failing level)
-- × economy failing (leave-one-out), over the trusts whose economy could be measured without them.
select
    methodology_version,
    period,
    count(case when is_failing = 1 and economy_failing then 1 end) as a,
    count(case when is_failing = 1 and not economy_failing then 1 end) as b,
    count(case when is_failing = 0 and economy_failing then 1 end) as c,
    count(case when is_failing = 0 and not economy_failing then 1 end) as d,
    count(case when economy_failing is null then 1 end) as n_unclassified
from {{ ref('int_economy_stress') }}
where scenario = 'baseline'
group by methodology_version, period
