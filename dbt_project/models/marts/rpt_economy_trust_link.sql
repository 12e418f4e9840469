-- Do failing trusts sit in failing health economies (DOMAIN.md question 3)? Per methodology version (every version
-- in the seeds) and reporting month: the 2×2 table (trust failing = level ≥ 3) × (its economy failing, measured
-- without it), relative risk and odds ratio with 95% confidence intervals, Fisher's exact p, and the share of failing
-- trusts inside failing economies.
-- Trusts alone in their economy cannot be classified and are counted in n_unclassified, not dropped silently.
with statistics as (
    {{ link_statistics(ref('int_economy_trust_link_counts'), keys=['methodology_version', 'period']) }}
)

select
    statistics.*,
    counts.n_unclassified
from statistics
inner join {{ ref('int_economy_trust_link_counts') }} as counts
    on counts.methodology_version = statistics.methodology_version and counts.period = statistics.period
