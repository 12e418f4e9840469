{#- The run's "as at" date: what "today" means to every model that needs one (open or closed, successions in
    effect). From the var `as_at` (YYYY-MM-DD) where the run sets it, so the same inputs and date give the same
    marts; otherwise the database's current date. -#}
{% macro as_at_date() -%}
    {%- set as_at = var('as_at', none) -%}
    {%- if as_at -%}
        cast('{{ modules.datetime.date.fromisoformat(as_at | string).isoformat() }}' as date)
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
