{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- The failure scale's entry criteria for levels 1–4 (DOMAIN.md), one row per criterion per trust × month under each
-- methodology version's calibration scenarios: its status — met, not met, or not assessable (an input missing or
-- older than its staleness limit) — the value, the threshold as configured, the source and its publication date,
-- and what was missing. Level 5 (systemic) needs the economy's condition: int_failure_scale_systemic_criteria.
-- Every criterion is kept for the baseline (the published levels, their criteria and what was missing); under the
-- calibration scenarios, which only count levels (int_failure_scale_levels, int_economy_stress), the met ones only:
-- on the national history that is 5.7 million rows instead of 31.6 million, built in under half the time.
with evaluated as (
    select * from {{ ref('int_failure_scale_evaluated') }}
),

criteria as (
    -- level 1: one core service or location rated Inadequate or RI while the trust is Good/Outstanding
    select methodology_version, scenario, trust_code, period, 1 as level, 'pocket_of_poor_care' as criterion,
           {{ criterion_status('pockets >= pockets_for_isolated_concern', 'has_trust_rating') }} as status,
           {{ dbt.cast('pockets', dbt.type_string()) }} as criterion_value,
           {{ dbt.concat(["'at least '", threshold_text('pockets_for_isolated_concern')]) }} as criterion_threshold,
           'cqc ratings' as source, latest_pocket_date as source_date, rating_missing as missing_input
    from evaluated

    union all
    -- level 1: one domain at the concern score (v1: a finance metric; v2: an oversight domain)
    {{ domains_at_concern_criterion(1, 'domain_score_of_concern', 'finance_domain_score_of_concern',
                                    'domains_for_isolated_concern') }}

    union all
    -- level 2: trust rated Requires improvement overall
    select methodology_version, scenario, trust_code, period, 2, 'trust_rated_requires_improvement',
           {{ criterion_status("trust_overall_rating = 'Requires improvement'", 'has_trust_rating') }},
           trust_overall_rating, 'Requires improvement', 'cqc ratings', trust_rating_date, rating_missing
    from evaluated

    union all
    -- level 2: overall finance score 3
    select methodology_version, scenario, trust_code, period, 2, 'finance_score_multiple_concerns',
           {{ criterion_status('finance_current and overall_finance_score >= finance_score_multiple_concerns',
                               'finance_current') }},
           {{ dbt.cast('overall_finance_score', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", threshold_text('finance_score_multiple_concerns')]) }},
           'in-year finance return', finance_return_received_on, finance_missing
    from evaluated

    union all
    -- level 2: sickness absence in the worst national decile for three consecutive months
    select methodology_version, scenario, trust_code, period, 2, 'sickness_worst_decile_sustained',
           {{ sickness_run_status('sickness_worst_percentile', 'sickness_worst_months') }},
           {{ dbt.cast('sickness_worst_run', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", threshold_text('ceil(sickness_worst_months)'),
                          "' months at percentile rank '", threshold_text('sickness_worst_percentile')]) }},
           'sickness absence statistics', sickness_published_on,
           coalesce(sickness_missing, case when {{ sickness_run_status('sickness_worst_percentile', 'sickness_worst_months') }}
                                                = 'not_assessable'
                                           then 'a sickness absence month without a figure for the trust' end)
    from evaluated

    union all
    -- level 2: two or more pockets of poor care
    select methodology_version, scenario, trust_code, period, 2, 'pockets_of_poor_care',
           {{ criterion_status('pockets >= pockets_for_multiple_concerns', 'has_trust_rating') }},
           {{ dbt.cast('pockets', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", threshold_text('pockets_for_multiple_concerns')]) }},
           'cqc ratings', latest_pocket_date, rating_missing
    from evaluated

    union all
    -- level 3: trust RI and Safe or Well-led Inadequate
    select methodology_version, scenario, trust_code, period, 3, 'requires_improvement_with_safe_or_well_led_inadequate',
           {{ criterion_status("trust_overall_rating = 'Requires improvement'
                                and (trust_safe_rating = 'Inadequate' or trust_well_led_rating = 'Inadequate')",
                               "has_trust_rating and (trust_overall_rating <> 'Requires improvement'
                                or (trust_safe_rating is not null and trust_well_led_rating is not null))") }},
           {{ dbt.concat(["'overall '", "coalesce(trust_overall_rating, '')", "'; safe '", "coalesce(trust_safe_rating, '')",
                          "'; well-led '", "coalesce(trust_well_led_rating, '')"]) }},
           'overall Requires improvement; Safe or Well-led Inadequate', 'cqc ratings', trust_rating_date,
           coalesce(rating_missing, case when trust_overall_rating = 'Requires improvement'
                                          and (trust_safe_rating is null or trust_well_led_rating is null)
                                         then 'no trust Safe or Well-led rating' end)
    from evaluated

    union all
    -- level 3: overall finance score 4
    select methodology_version, scenario, trust_code, period, 3, 'finance_score_significant',
           {{ criterion_status('finance_current and overall_finance_score >= finance_score_significant',
                               'finance_current') }},
           {{ dbt.cast('overall_finance_score', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", threshold_text('finance_score_significant')]) }},
           'in-year finance return', finance_return_received_on, finance_missing
    from evaluated

    union all
    -- level 3: two domains at the concern score (v1: finance metrics; v2: oversight domains)
    {{ domains_at_concern_criterion(3, 'domains_of_concern', 'finance_domains_of_concern',
                                    'domains_for_significant') }}

    union all
    -- level 4: trust rated Inadequate overall
    select methodology_version, scenario, trust_code, period, 4, 'trust_rated_inadequate',
           {{ criterion_status("trust_overall_rating = 'Inadequate'", 'has_trust_rating') }},
           trust_overall_rating, 'Inadequate', 'cqc ratings', trust_rating_date, rating_missing
    from evaluated

    union all
    -- level 4: Well-led Inadequate and finance score 3 or worse
    select methodology_version, scenario, trust_code, period, 4, 'well_led_inadequate_with_finance_concern',
           {{ criterion_status("trust_well_led_rating = 'Inadequate' and finance_current
                                and overall_finance_score >= finance_score_with_well_led_inadequate",
                               "(trust_well_led_rating is not null and trust_well_led_rating <> 'Inadequate')
                                or (finance_current and overall_finance_score < finance_score_with_well_led_inadequate)
                                or (trust_well_led_rating is not null and finance_current)") }},
           {{ dbt.concat(["'well-led '", "coalesce(trust_well_led_rating, '-')", "'; finance score '",
                          "coalesce(" ~ dbt.cast('overall_finance_score', dbt.type_string()) ~ ", '-')"]) }},
           {{ dbt.concat(["'Well-led Inadequate and finance score at least '",
                          threshold_text('finance_score_with_well_led_inadequate')]) }},
           'cqc ratings; in-year finance return',
           {{ latest_date(['finance_return_received_on', 'trust_rating_date']) }},
           {{ joined_reasons(["case when trust_well_led_rating is null then 'no trust Well-led rating' end",
                              'finance_missing']) }}
    from evaluated
)

select
    methodology_version, scenario, trust_code, period, level, criterion, status,
    criterion_value, criterion_threshold, source, source_date,
    case when status = 'not_assessable' then missing_input end as missing_input
from criteria
where scenario = 'baseline' or status = 'met'
