{#-
  "What was known on a date": from a release-versioned relation (one row per key and release that set or removed
  it), the latest version of each key among releases published by `as_of`, removals dropped. With as_of = none,
  what is known as at the run's date (var as_at): a release published after it is not known yet. Cross-database SQL
  only, so the same model builds on DuckDB and Spark.
-#}
{% macro known_as_of(relation, keys, as_of=none) %}
select * from (
    select
        versions.*,
        row_number() over (partition by {{ keys | join(', ') }} order by release_key desc) as version_rank
    from {{ relation }} as versions
    where published_on <= {{ as_of if as_of is not none else as_at_date() }}
) as ranked
where version_rank = 1 and release_change <> 'removed'
{% endmacro %}
