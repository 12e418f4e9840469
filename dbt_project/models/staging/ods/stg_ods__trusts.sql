with source as (
    select * from {{ source('ods', 'trusts') }}
),

renamed as (
    select
        -- identifiers
        organisation_code as trust_code,
        name as trust_name,
        national_grouping as region_code,
        high_level_health_geography as icb_code,
        -- address
        address_line_1,
        address_line_2,
        address_line_3,
        address_line_4,
        address_line_5,
        postcode,
        contact_telephone_number as telephone,
        gor_code,
        -- dates
        cast(open_date as date) as open_date,
        cast(close_date as date) as close_date,
        -- lineage
        _source_row as source_row,
        _source_sha256 as source_sha256,
        cast(_received_on as date) as received_on
    from source
)

select * from renamed
