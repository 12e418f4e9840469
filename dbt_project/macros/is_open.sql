{# One rule for "open", used wherever a trust's status is derived: no close date, or one still ahead. #}
{% macro is_open(close_date_column) -%}
    ({{ close_date_column }} is null or {{ close_date_column }} > current_date)
{%- endmacro %}
