-- Per reporting month: the 2×2 table of trust failing (level ≥ the failing level) × economy failing (leave-one-out),
-- over the trusts whose economy has other trusts to measure it by.
select
    period,
    sum(case when is_failing = 1 and economy_failing then 1 else 0 end) as a,
    sum(case when is_failing = 1 and not economy_failing then 1 else 0 end) as b,
    sum(case when is_failing = 0 and economy_failing then 1 else 0 end) as c,
    sum(case when is_failing = 0 and not economy_failing then 1 else 0 end) as d,
    sum(case when economy_failing is null then 1 else 0 end) as n_unclassified
from {{ ref('int_economy_stress') }}
where scenario = 'baseline'
group by period
