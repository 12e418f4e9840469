-- Every CQC rating the platform has seen, from both routes, on one footing: the level it rates (trust, location,
-- core service), what it rates, when CQC published it, whether it is inherited from a predecessor, and when the
-- platform received it. One rule for both routes (DOMAIN.md, "What was known on date D"): a rating is known from its
-- own publication date, whichever route brought it and whenever it arrived.
--   * the "Latest ratings" sheet: every version each release set or removed — a rating known from its publication
--     date (a month before the first sheet release held sees CQC's own trust ratings published by then), a
--     removal from the release that removed it;
--   * the CQC API: current and historic ratings as of the latest pull, each with the report it came from. A rating
--     is inherited where the document says so: the location names an "HSCA Predecessor" (relationships) and the
--     report is dated on or before its registration with this provider. Non-ratings without a report date are never in force.
with sheet as (
    select * from {{ ref('stg_cqc__latest_ratings') }}
),

api as (
    -- keyed as the release store keys it: by the report (two reports may share a date), not its date
    {{ known_as_of(ref('stg_cqc__api_ratings'),
                   ['location_id', 'rating_source', 'rating_level', 'service_name', 'key_question',
                    'report_link_id']) }}
)

select
    case when sheet.rating_level = 'provider' then 'trust'
         when sheet.service_population_group = 'Overall' then 'location'
         else 'core service' end as rating_level,
    sheet.provider_id as trust_code,
    coalesce(sheet.location_id, '') as location_id,
    sheet.service_population_group as service_name,
    sheet.key_question,
    sheet.rating,
    sheet.is_rating,
    sheet.publication_date,
    sheet.is_inherited,
    'cqc-ratings-sheet' as source,
    cast(null as {{ dbt.type_string() }}) as report_link_id,
    sheet.release_key as source_release,
    case when sheet.release_change = 'removed' or sheet.publication_date is null then sheet.published_on
         else sheet.publication_date end as known_from,
    sheet.received_on,
    sheet.release_change,
    sheet.source_sha256
from sheet

union all

select
    case when api.rating_level = 'location' then 'location' else 'core service' end as rating_level,
    api.provider_id as trust_code,
    api.location_id,
    api.service_name,
    api.key_question,
    api.rating,
    api.is_rating,
    api.report_date as publication_date,
    coalesce(api.predecessor_location_id is not null and api.report_date <= api.registration_date, false)
        as is_inherited,
    'cqc-api' as source,
    api.report_link_id,
    api.release_key as source_release,
    -- a published rating is public from its report date, whenever the platform pulled it
    api.report_date as known_from,
    api.received_on,
    api.release_change,
    api.source_sha256
from api
-- an overall the report did not rate (it rated key questions only) leaves the rating in force as it was
where api.rating is not null
