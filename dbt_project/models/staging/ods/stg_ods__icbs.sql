with source as (
    select * from {{ source('ods', 'icbs') }}
),

renamed as (
    select
        icb_ods_code as icb_code,
        icb_ons_code,
        icb_name,
        _source_row as source_row,
        _source_sha256 as source_sha256
    from source
)

select * from renamed
