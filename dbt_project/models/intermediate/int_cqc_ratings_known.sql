{{ config(materialized='table') }}  {# several models and tests read it: as a view, each would work it out again #}
-- Point in time: every CQC rating in force at each reporting month end, as known then — the latest rating each
-- trust, location and core service had had published by that date, from the latest sheet release out by then or
-- the API's history (whichever carries the later publication; the sheet when both do, for its inherited flag).
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

events as (
    select * from {{ ref('int_cqc_rating_events') }}
),

candidates as (
    select
        months.month_end as period,
        events.*,
        row_number() over (
            partition by months.month_end, events.source, events.rating_level, events.trust_code,
                         events.location_id, events.service_name, events.key_question
            -- sheet: its latest release; API: its latest publication (each pull carries the whole history)
            order by case when events.source = 'cqc-api' then events.publication_date end desc,
                     events.source_release desc, events.publication_date desc,
                     -- two API reports published the same day: the one that rated it, then by report, so that
                     -- the same inputs always give the same choice
                     case when events.is_rating then 0 else 1 end, events.report_link_id
        ) as version_rank
    from months
    inner join events
        on events.known_from <= months.month_end
        and events.publication_date <= months.month_end
),

-- the latest sheet version by then (unless it was removed); for the API, the latest rating published by then
latest_per_source as (
    select *
    from candidates
    where (source = 'cqc-ratings-sheet' and version_rank = 1 and release_change <> 'removed')
       or (source = 'cqc-api' and version_rank = 1)
),

ranked as (
    select
        *,
        row_number() over (
            partition by period, rating_level, trust_code, location_id, service_name, key_question
            order by publication_date desc, case when source = 'cqc-ratings-sheet' then 0 else 1 end
        ) as source_rank
    from latest_per_source
)

select
    period,
    rating_level,
    trust_code,
    location_id,
    service_name,
    key_question,
    rating,
    is_rating,
    publication_date,
    is_inherited,
    source,
    source_release,
    received_on,
    source_sha256
from ranked
where source_rank = 1
