-- Health-economy condition per methodology version × ICB × reporting month, one row for each member trust: the economy as a whole (trusts,
-- how many failing) and the trust's leave-one-out stress — the other trusts' failing share, combined I&E margin and
-- sickness absence against England's — and whether, for that trust, its economy counts as failing.
select
    stress.icb_code,
    stress.period,
    stress.trust_code,
    stress.base_level as trust_level_before_systemic_criteria,
    stress.is_failing as trust_is_failing,
    -- the economy as a whole
    stress.economy_trusts,
    stress.economy_failing_trusts,
    -- leave-one-out: the economy without this trust
    stress.other_trusts,
    stress.others_failing_share,
    stress.others_margin_pct,
    stress.others_sickness_rate,
    stress.england_sickness_rate,
    stress.others_sickness_excess,
    stress.stress_measures_passed,
    stress.stress_measures_assessed,
    stress.economy_failing,
    -- the bars (methodology)
    stress.economy_failing_share as failing_share_bar,
    stress.economy_margin_pct as margin_pct_bar,
    stress.economy_sickness_excess_pct as sickness_excess_bar,
    stress.economy_failing_measures as measures_needed,
    stress.economy_measures_assessable_min as measures_assessed_needed,
    stress.methodology_version
from {{ ref('int_economy_stress') }} as stress
where stress.scenario = 'baseline'
