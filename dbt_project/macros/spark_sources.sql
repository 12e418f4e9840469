{#-
  On Spark, each source becomes a view over the Parquet files the ingestion assets write, re-created at the start of
  every run so that it sees that run's files and columns. The files are the ones DuckDB reads (the source's
  `external_location`; `spark_location` only where Hadoop globs must spell it differently: they have no `**`).
  A view, not an external table: Spark would create a table's location, a folder named after the glob. DuckDB: no-op.
-#}
{% macro register_spark_sources() %}
    {%- if execute and target.type == 'spark' -%}
        {%- for node in graph.sources.values() if node.package_name == project_name -%}
            {%- set duckdb_location = node.meta.get('external_location', '') -%}
            {%- set found = modules.re.search("read_parquet\\('([^']+)'", duckdb_location) -%}
            {%- set path = node.meta.get('spark_location') or (found.group(1) if found else none) -%}
            {%- if path is none or '**' in path -%}
                {{ exceptions.raise_compiler_error("source " ~ node.source_name ~ "." ~ node.name ~ ": no Parquet "
                   ~ "location Spark can read (read_parquet('…') in external_location, or spark_location, no **)") }}
            {%- endif -%}
            {#- DuckDB's `filename = true` adds the file's path as `filename`; Spark has it in the hidden _metadata -#}
            {%- set file_column = ', _metadata.file_path as filename' if 'filename = true' in duckdb_location else '' -%}
            {%- do run_query('create database if not exists ' ~ node.schema) -%}
            {%- do run_query('create or replace view ' ~ node.schema ~ '.' ~ node.identifier ~ ' as select *'
                             ~ file_column ~ ' from parquet.`' ~ (path | replace('{name}', node.name)) ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
