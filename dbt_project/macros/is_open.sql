{# One rule for "open", used wherever a trust's status is derived: no close date, or one still ahead of the run's
   "as at" date. #}
{% macro is_open(close_date_column) -%}
    ({{ close_date_column }} is null or {{ close_date_column }} > {{ as_at_date() }})
{%- endmacro %}
