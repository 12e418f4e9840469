-- The failure scale's entry criteria for levels 1–4 (DOMAIN.md, methodology v1), one row per criterion a trust met
-- in a month under each calibration scenario, with the value that met it, the threshold, the source and its date.
-- Levels 5 (systemic) need the economy's condition and live in int_failure_scale_levels.
{%- set s = ref('int_failure_scale_scenarios') %}
with inputs as (
    select * from {{ ref('int_failure_scale_inputs') }}
),

scenarios as (
    select * from {{ s }}
),

evaluated as (
    select
        scenarios.*,
        inputs.*,
        {{ domains_at_or_above('scenarios.domain_score_of_concern') }} as domains_of_concern,
        {{ sickness_worst_run('scenarios.sickness_worst_percentile') }} as sickness_worst_run
    from inputs
    cross join scenarios
),

criteria as (
    -- level 1: one core service or location rated Inadequate or RI while the trust is Good/Outstanding
    select scenario, trust_code, period, 1 as level, 'pocket_of_poor_care' as criterion,
           {{ dbt.cast('pockets', dbt.type_string()) }} as criterion_value,
           {{ dbt.concat(["'at least '", dbt.cast('pockets_for_isolated_concern', dbt.type_string())]) }} as criterion_threshold,
           'cqc ratings' as source, latest_pocket_date as source_date
    from evaluated where pockets >= pockets_for_isolated_concern

    union all
    -- level 1: a finance domain score at the concern score
    select scenario, trust_code, period, 1, 'finance_domain_score_of_concern',
           {{ dbt.cast('domains_of_concern', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", dbt.cast('domains_for_isolated_concern', dbt.type_string()),
                          "' at score '", dbt.cast('domain_score_of_concern', dbt.type_string())]) }},
           'in-year finance return', finance_return_received_on
    from evaluated where domains_of_concern >= domains_for_isolated_concern

    union all
    -- level 2: trust rated Requires improvement overall
    select scenario, trust_code, period, 2, 'trust_rated_requires_improvement', trust_overall_rating,
           'Requires improvement', 'cqc ratings', trust_rating_date
    from evaluated where trust_overall_rating = 'Requires improvement'

    union all
    -- level 2: overall finance score 3
    select scenario, trust_code, period, 2, 'finance_score_multiple_concerns',
           {{ dbt.cast('overall_finance_score', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", dbt.cast('finance_score_multiple_concerns', dbt.type_string())]) }},
           'in-year finance return', finance_return_received_on
    from evaluated where overall_finance_score >= finance_score_multiple_concerns

    union all
    -- level 2: sickness absence in the worst national decile for three consecutive months
    select scenario, trust_code, period, 2, 'sickness_worst_decile_sustained',
           {{ dbt.cast('sickness_worst_run', dbt.type_string()) }},
           {#- a whole number of months, printed as one on either engine (DuckDB's ceil is a double, Spark's not) -#}
           {{ dbt.concat(["'at least '",
                          dbt.cast(dbt.cast('ceil(sickness_worst_months)', dbt.type_int()), dbt.type_string()),
                          "' months at percentile rank '", dbt.cast('sickness_worst_percentile', dbt.type_string())]) }},
           'sickness absence statistics', sickness_month
    from evaluated where sickness_worst_run >= ceil(sickness_worst_months)

    union all
    -- level 2: two or more pockets of poor care
    select scenario, trust_code, period, 2, 'pockets_of_poor_care',
           {{ dbt.cast('pockets', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", dbt.cast('pockets_for_multiple_concerns', dbt.type_string())]) }},
           'cqc ratings', latest_pocket_date
    from evaluated where pockets >= pockets_for_multiple_concerns

    union all
    -- level 3: trust RI and Safe or Well-led Inadequate
    select scenario, trust_code, period, 3, 'requires_improvement_with_safe_or_well_led_inadequate',
           {{ dbt.concat(["'overall '", "trust_overall_rating", "'; safe '", "coalesce(trust_safe_rating, '')",
                          "'; well-led '", "coalesce(trust_well_led_rating, '')"]) }},
           'overall Requires improvement; Safe or Well-led Inadequate', 'cqc ratings', trust_rating_date
    from evaluated
    where trust_overall_rating = 'Requires improvement'
      and (trust_safe_rating = 'Inadequate' or trust_well_led_rating = 'Inadequate')

    union all
    -- level 3: overall finance score 4
    select scenario, trust_code, period, 3, 'finance_score_significant',
           {{ dbt.cast('overall_finance_score', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", dbt.cast('finance_score_significant', dbt.type_string())]) }},
           'in-year finance return', finance_return_received_on
    from evaluated where overall_finance_score >= finance_score_significant

    union all
    -- level 3: two finance domains at score 3 or worse
    select scenario, trust_code, period, 3, 'finance_domains_of_concern',
           {{ dbt.cast('domains_of_concern', dbt.type_string()) }},
           {{ dbt.concat(["'at least '", dbt.cast('domains_for_significant', dbt.type_string()),
                          "' at score '", dbt.cast('domain_score_of_concern', dbt.type_string())]) }},
           'in-year finance return', finance_return_received_on
    from evaluated where domains_of_concern >= domains_for_significant

    union all
    -- level 4: trust rated Inadequate overall
    select scenario, trust_code, period, 4, 'trust_rated_inadequate', trust_overall_rating,
           'Inadequate', 'cqc ratings', trust_rating_date
    from evaluated where trust_overall_rating = 'Inadequate'

    union all
    -- level 4: Well-led Inadequate and finance score 3 or worse
    select scenario, trust_code, period, 4, 'well_led_inadequate_with_finance_concern',
           {{ dbt.concat(["'well-led '", "trust_well_led_rating", "'; finance score '",
                          dbt.cast('overall_finance_score', dbt.type_string())]) }},
           {{ dbt.concat(["'Well-led Inadequate and finance score at least '",
                          dbt.cast('finance_score_with_well_led_inadequate', dbt.type_string())]) }},
           'cqc ratings; in-year finance return',
           case when finance_return_received_on > trust_rating_date then finance_return_received_on
                else trust_rating_date end
    from evaluated
    where trust_well_led_rating = 'Inadequate' and overall_finance_score >= finance_score_with_well_led_inadequate
)

select * from criteria
