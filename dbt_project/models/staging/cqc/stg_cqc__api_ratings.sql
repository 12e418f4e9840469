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
        cast(report_date as date) as report_date,
        -- the rating (non-ratings kept, never scored)
        rating,
        is_rating,
        report_link_id,
        registration_status,
        -- release (the pull)
        _json_path as source_json_path,
        {{ release_columns(source_row=false) }}
    from source
)

select * from renamed
