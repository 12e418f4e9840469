{#-
  The score (1 best … 4 worst) of a finance metric value, from the bands in the finance_metric_thresholds seed:
  a correlated lookup, so every threshold stays in the seed (methodology v1), never in SQL.
-#}
{% macro finance_metric_score(metric, value) %}
(
    select bands.score
    from {{ ref('finance_metric_thresholds') }} as bands
    where bands.methodology_version = '{{ var("methodology_version") }}'
      and bands.metric = '{{ metric }}'
      and (bands.lower_bound is null or {{ value }} > bands.lower_bound
           or (bands.lower_inclusive and {{ value }} = bands.lower_bound))
      and (bands.upper_bound is null or {{ value }} < bands.upper_bound
           or (bands.upper_inclusive and {{ value }} = bands.upper_bound))
)
{%- endmacro %}


{#- Overall finance score: the mean of the metric scores, rounded (halves up); any metric at 4 makes it at least 3. -#}
{% macro overall_finance_score(scores) %}
case
    when {{ scores | join(' = 4 or ') }} = 4
        then greatest(3, cast(floor(({{ scores | join(' + ') }}) / {{ scores | length }}.0 + 0.5) as integer))
    else cast(floor(({{ scores | join(' + ') }}) / {{ scores | length }}.0 + 0.5) as integer)
end
{%- endmacro %}
