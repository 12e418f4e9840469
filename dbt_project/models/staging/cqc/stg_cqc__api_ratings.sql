-- Ratings from the CQC API location documents (current and historic), every version, one row per pull that set it.
with source as (
    select * from {{ source('cqc', 'api_locations') }}
),

renamed as (
    select
        -- keys
        location_id,
        provider_id,
        source as rating_source,
        level as rating_level,
        service as service_name,
        domain as key_question,
        report_link_id,                              -- the report: the key (two reports may share a date)
        cast(report_date as date) as report_date,    -- NULL for a non-rating CQC published without a report
        -- the rating (non-ratings kept, never scored; NULL where a historic overall rated key questions only)
        rating,
        is_rating,
        registration_status,
        cast(registration_date as date) as registration_date,   -- with this provider
        predecessor_location_id,                               -- relationships: "HSCA Predecessor"
        -- release (the pull)
        _json_path as source_json_path,
        {{ release_columns(source_row=false) }}
    from source
)

select * from renamed
