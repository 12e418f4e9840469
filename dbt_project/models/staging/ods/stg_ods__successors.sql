with source as (
    select * from {{ source('ods', 'successors') }}
),

renamed as (
    select
        old_code as predecessor_code,
        new_code as successor_code,
        reason as succession_reason,
        indicator as succession_indicator,
        cast(effective_date as date) as effective_date,
        _source_row as source_row,
        _source_sha256 as source_sha256
    from source
)

select * from renamed
