{#- The run's "as at" date: what "today" means to every model that needs one (open or closed, successions in
    effect, what has been published). From the var `as_at` (YYYY-MM-DD), which the pipeline passes for every run
    (`oversight run --as-at`, default today): the same inputs and date give the same marts. A build without it is
    refused rather than silently depending on the day it ran: `dbt build --vars '{as_at: 2026-12-01}'` by hand. -#}
{% macro as_at_date() -%}
    {%- set day = var('as_at', none) -%}
    {%- if day is none and execute -%}
        {{ exceptions.raise_compiler_error("the run's as-at date is not set: dbt build --vars '{as_at: YYYY-MM-DD}' "
                                           "(oversight run passes it)") }}
    {%- endif -%}
    {%- if day is not none -%}
        cast('{{ modules.datetime.date.fromisoformat(day | string).isoformat() }}' as date)
    {%- else -%}
        cast(null as date)
    {%- endif -%}
{%- endmacro %}
