{#-
  The failure scale's thresholds (every methodology version), by name: the rows of the failure_scale_thresholds seed. The SQL
  names them; their values live only in the seed. A model pivots them to one column each per calibration scenario.
-#}
{% macro failure_scale_threshold_names() %}
{{ return(['pockets_for_isolated_concern', 'domain_score_of_concern', 'domains_for_isolated_concern',
           'finance_score_multiple_concerns', 'sickness_worst_percentile', 'sickness_worst_months',
           'pockets_for_multiple_concerns', 'finance_score_significant', 'domains_for_significant',
           'finance_score_with_well_led_inadequate', 'failing_level', 'sustained_serious_months',
           'economy_failing_share', 'economy_margin_pct', 'economy_sickness_excess_pct', 'economy_failing_measures',
           'quality_failing_finance_score', 'serious_failure_level', 'economy_measures_assessable_min',
           'finance_return_stale_months', 'sickness_stale_months', 'workforce_score_2_percentile',
           'workforce_score_3_percentile', 'workforce_score_4_percentile']) }}
{% endmacro %}


{#- The five SOF finance metric scores (the "domains" of the scale's criteria). -#}
{% macro finance_domain_scores() %}
{{ return(['capital_service_capacity_score', 'liquidity_score', 'income_expenditure_margin_score',
           'distance_from_plan_score', 'agency_spend_score']) }}
{% endmacro %}


{#- How many finance domain scores are at or above `score`. -#}
{% macro domains_at_or_above(score) -%}
(
{%- for domain in finance_domain_scores() %}
    case when {{ domain }} >= {{ score }} then 1 else 0 end{{ ' +' if not loop.last }}
{%- endfor %}
)
{%- endmacro %}


{#- How many finance metric scores are missing. -#}
{% macro domains_missing() -%}
(
{%- for domain in finance_domain_scores() %}
    case when {{ domain }} is null then 1 else 0 end{{ ' +' if not loop.last }}
{%- endfor %}
)
{%- endmacro %}


{#- The sickness worst-decile criterion's status: met when the run reaches `months`; else not assessable when a
    month inside the months it needs has no figure (or the series is stale) before one below the bar; else not met.
    More months than the history holds: not assessable. -#}
{% macro sickness_run_status(percentile, months) -%}
case
    when sickness_current and sickness_worst_run >= ceil({{ months }}) then 'met'
    when not sickness_current then 'not_assessable'
{%- for k in range(1, var('sickness_history_months') + 1) %}
    when {{ k }} <= ceil({{ months }}) and sickness_rank_{{ k }} is null then 'not_assessable'
    when {{ k }} <= ceil({{ months }}) and sickness_rank_{{ k }} < {{ percentile }} then 'not_met'
{%- endfor %}
    else 'not_assessable'
end
{%- endmacro %}


{#- Consecutive published months, counting back from the latest, with the sickness percentile rank at or above
    `percentile` (inputs carry sickness_rank_1 … sickness_rank_N, 1 the latest; a missing month ends the run). -#}
{% macro sickness_worst_run(percentile) -%}
case
{%- for k in range(1, var('sickness_history_months') + 1) %}
    when not coalesce(sickness_rank_{{ k }} >= {{ percentile }}, false) then {{ k - 1 }}
{%- endfor %}
    else {{ var('sickness_history_months') }}
end
{%- endmacro %}


{#- A criterion's status from whether it is met and whether it could be judged: met wins (a criterion met on what
    is there is met whatever else is missing); otherwise not assessable where it could not be judged. -#}
{% macro criterion_status(met, assessable) -%}
case when coalesce({{ met }}, false) then 'met' when coalesce({{ assessable }}, false) then 'not_met'
     else 'not_assessable' end
{%- endmacro %}


{#- One criterion met, as a JSON object (the elements of fct_trust_failure_scale.criteria). -#}
{% macro criterion_json() -%}
{{ dbt.concat(["'{\"criterion\": \"'", "criterion", "'\", \"level\": '", dbt.cast("level", dbt.type_string()),
               "', \"value\": \"'", "criterion_value", "'\", \"threshold\": \"'", "criterion_threshold",
               "'\", \"source\": \"'", "source", "'\", \"source_date\": \"'",
               "coalesce(" ~ dbt.cast("source_date", dbt.type_string()) ~ ", '')", "'\"}'"]) }}
{%- endmacro %}


{#- A threshold as configured: a whole number without a decimal point ("2", not "2.0"), anything else as it is. -#}
{% macro threshold_text(value) -%}
case when {{ value }} = floor({{ value }}) then {{ dbt.cast(dbt.cast(value, 'bigint'), dbt.type_string()) }}
     else {{ dbt.cast(value, dbt.type_string()) }} end
{%- endmacro %}


{#- The latest of some dates, ignoring the missing ones (NULL only when all are). -#}
{% macro latest_date(dates) -%}
greatest(
{%- for d in dates %}
    coalesce({{ d }}{% for other in dates if other != d %}, {{ other }}{% endfor %}){{ ',' if not loop.last }}
{%- endfor %})
{%- endmacro %}


{#- Reasons joined with '; ', the missing ones left out (NULL when there is none). -#}
{% macro joined_reasons(reasons) -%}
nullif(concat_ws('; ', {{ reasons | join(', ') }}), '')
{%- endmacro %}


{#- The criterion "at least `count_threshold` domains at the concern score" (levels 1 and 3), one select of
    int_failure_scale_criteria: named `oversight_name` where the version's domains are the oversight domains (v2:
    quality, leadership, finance, workforce, read from the ratings, the finance return and the sickness figures),
    `finance_name` where they are the finance metrics (v1 as built, read from the finance return). -#}
{% macro domains_at_concern_criterion(level, oversight_name, finance_name, count_threshold) -%}
    select methodology_version, scenario, trust_code, period, {{ level }},
           case when domains_rule = 'oversight_domains' then '{{ oversight_name }}' else '{{ finance_name }}' end,
           {{ criterion_status('domains_of_concern >= ' ~ count_threshold,
                               'domains_of_concern + domains_not_scored < ' ~ count_threshold) }},
           coalesce(domain_scores_text, {{ dbt.cast('domains_of_concern', dbt.type_string()) }}),
           {{ dbt.concat(["'at least '", threshold_text(count_threshold),
                          "' at score '", threshold_text('domain_score_of_concern')]) }},
           case when domains_rule = 'oversight_domains' then 'oversight domains' else 'in-year finance return' end,
           case when domains_rule = 'oversight_domains' then
               {{ latest_date(['trust_rating_date', 'case when finance_current then finance_return_received_on end',
                               'case when sickness_current then sickness_published_on end']) }}
           else finance_return_received_on end,
           coalesce(case when domains_rule = 'oversight_domains'
                         then {{ joined_reasons(['rating_missing', 'finance_missing', 'sickness_missing',
                                                 "case when has_trust_rating and leadership_domain_score is null
                                                       then 'no trust Well-led rating' end"]) }}
                         else finance_missing end,
                    'a domain without a score')
    from evaluated
{%- endmacro %}
