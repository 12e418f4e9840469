{#- A sum of measured figures (days, £000) that does not depend on the order its rows come in: each figure as a
    decimal of six places, added exactly. A sum of doubles depends on the order of addition, and a parallel scan or
    join gives rows in an order that changes between runs: the same inputs would not give the same marts. Use it
    as an aggregate or a window (`{{ exact_sum('x') }} over (…)`), then cast to double for ratios. -#}
{% macro exact_sum(expression) -%}
    sum(cast({{ expression }} as decimal(38, 6)))
{%- endmacro %}
