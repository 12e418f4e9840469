{#-
  The band (and so the score, 1 best … 4 worst) a finance metric value falls in, from the finance_metric_thresholds
  seed: a left join on the value's band under a methodology version (`version`, an expression), so every threshold stays in the seed, never in SQL, and
  the join is one Spark accepts too (no correlated subquery with inequalities).
-#}
{% macro finance_band_join(metric, value, alias, version) %}
left join {{ ref('finance_metric_thresholds') }} as {{ alias }}
    on {{ alias }}.methodology_version = {{ version }}
    and {{ alias }}.metric = '{{ metric }}'
    and ({{ alias }}.lower_bound is null or {{ value }} > {{ alias }}.lower_bound
         or ({{ alias }}.lower_inclusive and {{ value }} = {{ alias }}.lower_bound))
    and ({{ alias }}.upper_bound is null or {{ value }} < {{ alias }}.upper_bound
         or ({{ alias }}.upper_inclusive and {{ value }} = {{ alias }}.upper_bound))
{%- endmacro %}


{#- Overall finance score: the mean of the metric scores, rounded (halves up); any metric at 4 makes it at least 3. -#}
{% macro overall_finance_score(scores) %}
case
    when {{ scores | join(' = 4 or ') }} = 4
        then greatest(3, cast(floor(({{ scores | join(' + ') }}) / {{ scores | length }}.0 + 0.5) as integer))
    else cast(floor(({{ scores | join(' + ') }}) / {{ scores | length }}.0 + 0.5) as integer)
end
{%- endmacro %}
