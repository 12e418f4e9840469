{#-
  The values of a group joined in a set order. dbt's listagg ignores its order on Spark (with a warning), and the
  failure scale's criteria must list the same way on every engine: on Spark, collect (keys…, value) structs, sort
  them, keep the values. `sort_keys` are expressions sorted ascending (negate a number to sort it descending).
-#}
{% macro ordered_listagg(measure, delimiter_text, sort_keys) -%}
    {{ return(adapter.dispatch('ordered_listagg')(measure, delimiter_text, sort_keys)) }}
{%- endmacro %}

{% macro default__ordered_listagg(measure, delimiter_text, sort_keys) -%}
    {{ dbt.listagg(measure, delimiter_text, "order by " ~ sort_keys | join(", ")) }}
{%- endmacro %}

{% macro spark__ordered_listagg(measure, delimiter_text, sort_keys) -%}
    array_join(transform(array_sort(collect_list(named_struct(
        {%- for key in sort_keys %}'k{{ loop.index }}', {{ key }}, {% endfor -%}
        'item', {{ measure }}))), entry -> entry.item), {{ delimiter_text }})
{%- endmacro %}
