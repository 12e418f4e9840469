{#- Layers land in schemas named as the layer (staging, intermediate, marts, methodology), not dbt's default
    "<target schema>_<custom>", so the marts live in schema `marts` on every engine. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
