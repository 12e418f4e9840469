-- Every version of every rating in the "Latest ratings" snapshots: one row per release that set or removed it.
with source as (
    select * from {{ source('cqc', 'latest_ratings') }}
),

renamed as (
    select
        -- keys
        level as rating_level,
        provider_id,
        location_id,
        service_population_group,
        domain as key_question,
        -- the rating (non-ratings kept, never scored)
        rating,
        is_rating,
        cast(publication_date as date) as publication_date,
        inherited as is_inherited,
        report_type,
        -- descriptive
        name as organisation_name,
        provider_name,
        region,
        location_type,
        primary_inspection_category,
        url,
        -- release (valid period × release)
        _sheet as source_sheet,
        {{ release_columns() }}
    from source
)

select * from renamed
