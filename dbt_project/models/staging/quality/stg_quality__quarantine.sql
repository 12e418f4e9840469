-- Every row a parser refused, with where it came from and why. Feed, table and release come from the file's path
-- (quarantine/<feed>/<table>/[release=<key>/]<sha256>.parquet); the empty schema.parquet adds no rows.
with source as (
    select * from {{ source('quality', 'quarantine') }}
),

renamed as (
    select
        -- where it came from
        regexp_extract(filename, '/quarantine/([^/]+)/', 1) as feed_folder,
        regexp_extract(filename, '/quarantine/[^/]+/([^/]+)/', 1) as table_name,
        regexp_extract(filename, '/release=([^/]+)/', 1) as partition_key,
        regexp_extract(filename, '([0-9a-f]{64})[.]parquet$', 1) as source_sha256,
        file,
        source_row,
        -- why
        {{ adapter.quote('column') }} as column_name,
        rule,
        {{ adapter.quote('value') }} as cell_value,
        reason,
        record
    from source
)

select * from renamed
