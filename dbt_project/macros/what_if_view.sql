{#-
  The failure scale's chain (int_failure_scale_scenarios … int_failure_scale_levels) is built as tables: each step is
  read by several later ones, over every calibration scenario and the whole history, and a chain of views would be
  computed again for each. The what-if (orchestration/whatif.py) runs the same SQL over a snapshot, so on DuckDB each
  step also leaves its SQL as dbt compiled it, as the view `<model>__sql` beside the table (a post-hook). Not on other
  engines: the what-if runs on DuckDB only (an empty hook is skipped).
-#}
{% macro what_if_view() -%}
{%- if target.type == 'duckdb' -%}
create or replace view {{ this.schema }}.{{ this.identifier }}__sql as {{ model.compiled_code }}
{%- endif -%}
{%- endmacro %}
