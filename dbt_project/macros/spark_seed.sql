{#- Seeds on Spark: dbt-spark binds each value through the session cursor, which writes a missing value as the
    string 'None' (dbt-labs/dbt-spark#901, closed as won't fix), so a seed's empty cell would be 'None' on Spark and
    null on DuckDB. This writes every value as a SQL literal and a missing one as null; otherwise as dbt-spark's own
    spark__load_csv_rows (same batches, same casts to the seed's column types). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
          {%- set value = row[loop.index0] -%}
          {%- if value is none -%}
            cast(null as {{ type }})
          {%- else -%}
            cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
          {%- endif -%}
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%})
        {%- if not loop.last %},{% endif %}
      {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}
