-- Every feed the platform knows, with each release (or current file) it holds; a feed with none has one row with
-- no release.
with source as (
    select * from {{ source('feeds', 'holdings') }}
),

renamed as (
    select
        -- the feed
        feed,
        asset,
        description,
        publisher_folder,
        is_series,
        partitioned_by,
        restricted,
        -- the release held (NULL: none)
        release_key,
        file,
        cast(published_on as date) as published_on,
        cast(received_on as date) as received_on,
        rows as rows_held,
        rows_quarantined,
        rows_new,
        rows_changed,
        rows_removed,
        sha256 as source_sha256,
        layout
    from source
)

select * from renamed
