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

-- Per source and rating: the versions in the order the choice between them goes — the sheet's latest release, the
-- API's latest publication — each eligible from the first month end it is known by (its known-from and its
-- publication date both passed; never without a publication date)
ordered as (
    select
        events.*,
        case when events.known_from is not null and events.publication_date is not null
             then greatest(events.known_from, events.publication_date) end as eligible_from,
        row_number() over (
            partition by events.source, events.rating_level, events.trust_code, events.location_id,
                         events.service_name, events.key_question
            -- sheet: its latest release; API: its latest publication (each pull carries the whole history)
            order by case when events.source = 'cqc-api' then events.publication_date end desc,
                     events.source_release desc, events.publication_date desc,
                     -- two API reports published the same day: the one that rated it, then by report, so that
                     -- the same inputs always give the same choice
                     case when events.is_rating then 0 else 1 end, events.report_link_id
        ) as version_order
    from events
),

-- the version in force at a month end is the first in that order among those eligible by then: as the months pass
-- it changes only when a version earlier in the order becomes eligible. So each such version is in force from its
-- eligible date until the next one's — an interval, joined to the months it covers (a version per rating and
-- month, without ranking every eligible version at every month end)
best_so_far as (
    select
        *,
        min(version_order) over (
            partition by source, rating_level, trust_code, location_id, service_name, key_question
            order by eligible_from range between unbounded preceding and current row
        ) as best_order
    from ordered
    where eligible_from is not null
),

in_force as (
    select
        *,
        lead(eligible_from) over (
            partition by source, rating_level, trust_code, location_id, service_name, key_question
            order by eligible_from
        ) as superseded_from
    from best_so_far
    where version_order = best_order
),

-- the latest sheet version by then (unless it was removed); for the API, the latest rating published by then
latest_per_source as (
    select
        months.month_end as period,
        in_force.*
    from months
    inner join in_force
        on in_force.eligible_from <= months.month_end
        and (in_force.superseded_from is null or months.month_end < in_force.superseded_from)
    where (in_force.source = 'cqc-ratings-sheet' and in_force.release_change <> 'removed')
       or in_force.source = 'cqc-api'
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
