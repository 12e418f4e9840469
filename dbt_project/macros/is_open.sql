{# One rule for "open", used wherever a trust's status is derived: no close date, or one still ahead of the run's
   as-at date (var as_at: the day the run is for, passed by the pipeline; the same inputs and date give the same
   marts). #}
{% macro is_open(close_date_column) -%}
    ({{ close_date_column }} is null or {{ close_date_column }} > {{ as_at() }})
{%- endmacro %}

{# The run's as-at date as a SQL date literal; a build without it is refused (it would depend on the day it ran). #}
{% macro as_at() -%}
    {%- set day = var("as_at", none) -%}
    {%- if day is none and execute -%}
        {{ exceptions.raise_compiler_error("the run's as-at date is not set: dbt build --vars '{as_at: YYYY-MM-DD}' "
                                           "(oversight run passes it)") }}
    {%- endif -%}
    {%- if day is not none and not modules.re.fullmatch("\\d{4}-\\d{2}-\\d{2}", day | string) -%}
        {{ exceptions.raise_compiler_error("as_at must be a date YYYY-MM-DD, not " ~ day) }}
    {%- endif -%}
    cast('{{ day }}' as date)
{%- endmacro %}
