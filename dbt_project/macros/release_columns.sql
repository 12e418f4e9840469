{#- The columns every release-versioned staging model carries: which release set the row, when that release was
    published and when the platform received it, what it did to the row (new | changed | removed), and where the
    row came from. -#}
{% macro release_columns(prefix='', source_row=true) %}
        {{ prefix }}_release as release_key,
        cast({{ prefix }}_published_on as date) as published_on,
        cast({{ prefix }}_received_on as date) as received_on,
        {{ prefix }}_change as release_change,
        {% if source_row %}{{ prefix }}_source_row as source_row,{% endif %}
        {{ prefix }}_source_sha256 as source_sha256
{%- endmacro %}
