-- Every ingestion attempt: what came in, what was kept, and what happened to it.
with source as (
    select * from {{ source('quality', 'ingestions') }}
),

renamed as (
    select
        -- what and when
        asset,
        feed,
        coalesce(partition_key, '') as partition_key,
        recorded_at,
        run_id,
        -- the file
        file,
        sha256 as source_sha256,
        layout,
        -- counts (rows = rows_valid + rows_quarantined)
        rows as rows_in,
        rows_valid,
        rows_quarantined,
        -- outcome
        outcome,
        reason,
        message
    from source
)

select * from renamed
