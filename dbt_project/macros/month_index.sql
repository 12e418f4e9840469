{#- A date's month as one integer (year × 12 + month), so months can be counted and compared on every engine. -#}
{% macro month_index(date_expression) -%}
    (extract(year from {{ date_expression }}) * 12 + extract(month from {{ date_expression }}))
{%- endmacro %}
