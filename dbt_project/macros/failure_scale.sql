{#-
  The failure scale's thresholds (methodology v1), by name: the rows of the failure_scale_thresholds seed. The SQL
  names them; their values live only in the seed. A model pivots them to one column each per calibration scenario.
-#}
{% macro failure_scale_threshold_names() %}
{{ return(['pockets_for_isolated_concern', 'domain_score_of_concern', 'domains_for_isolated_concern',
           'finance_score_multiple_concerns', 'sickness_worst_percentile', 'sickness_worst_months',
           'pockets_for_multiple_concerns', 'finance_score_significant', 'domains_for_significant',
           'finance_score_with_well_led_inadequate', 'failing_level', 'sustained_serious_months',
           'economy_failing_share', 'economy_margin_pct', 'economy_sickness_excess_pct', 'economy_failing_measures',
           'quality_failing_finance_score']) }}
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


{#- One criterion met, as a JSON object (the elements of fct_trust_failure_scale.criteria). -#}
{% macro criterion_json() -%}
{{ dbt.concat(["'{\"criterion\": \"'", "criterion", "'\", \"level\": '", dbt.cast("level", dbt.type_string()),
               "', \"value\": \"'", "criterion_value", "'\", \"threshold\": \"'", "criterion_threshold",
               "'\", \"source\": \"'", "source", "'\", \"source_date\": \"'",
               "coalesce(" ~ dbt.cast("source_date", dbt.type_string()) ~ ", '')", "'\"}'"]) }}
{%- endmacro %}
