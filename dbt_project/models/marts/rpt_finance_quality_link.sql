-- Are financial and quality failure linked (DOMAIN.md question 4)? Per methodology version (every version in the
-- seeds) and reporting month: the 2×2 table of quality failing (trust rated RI or Inadequate) × finance failing
-- (overall finance score ≥ 3, under the version's bands), with the same statistics as rpt_economy_trust_link:
-- "failing in failing" = quality-failing trusts that are also failing on finance.
-- Trusts without a rating or a finance return that month are counted in n_unclassified.
with statistics as (
    {{ link_statistics(ref('int_finance_quality_link_counts'), keys=['methodology_version', 'period']) }}
)

select
    statistics.*,
    counts.n_unclassified
from statistics
inner join {{ ref('int_finance_quality_link_counts') }} as counts
    on counts.methodology_version = statistics.methodology_version and counts.period = statistics.period
