-- One row per succession in succ.csv, in either published layout (the parser names it and normalises both): every
-- organisation type ODS codes, back to 1992, and successions announced ahead of their effective date.
with source as (
    select * from {{ source('ods', 'successors') }}
),

renamed as (
    select
        -- the succession: an organisation may have several successors (a split)
        old_code as predecessor_code,
        new_code as successor_code,
        cast(effective_date as date) as effective_date,
        -- F, O or R in the older layout; NULL where the layout publishes no reason (the current one)
        reason as succession_reason,
        -- ODS's word that the successor has itself been succeeded (F in the older layout, 1 in the current one)
        forward_succession,
        -- lineage
        _source_row as source_row,
        _source_sha256 as source_sha256
    from source
)

select * from renamed
