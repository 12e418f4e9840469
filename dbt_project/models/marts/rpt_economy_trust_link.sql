-- Do failing trusts sit in failing health economies (DOMAIN.md question 3)? Per reporting month: the 2×2 table
-- (trust failing = level ≥ 3) × (its economy failing, measured without it), relative risk and odds ratio with 95%
-- confidence intervals, Fisher's exact p, and the share of failing trusts inside failing economies.
-- Trusts alone in their economy cannot be classified and are counted in n_unclassified, not dropped silently.
with statistics as (
    {{ link_statistics(ref('int_economy_trust_link_counts')) }}
)

select
    statistics.*,
    counts.n_unclassified,
    '{{ var("methodology_version") }}' as methodology_version
from statistics
inner join {{ ref('int_economy_trust_link_counts') }} as counts on counts.period = statistics.period
