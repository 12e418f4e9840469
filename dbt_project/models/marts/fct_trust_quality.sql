-- CQC ratings per trust × reporting month, at every level (trust, location, core service) and key question, as
-- known at the month's end: the rating, when it was published, its age, whether it is inherited (inherited ratings
-- are shown but never aggregated) and where it came from. The trust's own rating is CQC's where CQC publishes one;
-- otherwise it is computed from its locations by the CQC ratings principles (cqc_aggregated_rating) — except
-- Well-led, which CQC assesses at trust level and is not aggregated, and except for a trust formed by a merger
-- within the configured months, whose ratings CQC does not aggregate.
with trust_months as (
    select * from {{ ref('int_trust_months') }}
),

known as (
    select * from {{ ref('int_cqc_ratings_known') }}
),

merged_recently as (
    select distinct trust_months.trust_code, trust_months.period
    from trust_months
    inner join {{ ref('stg_ods__successors') }} as successions
        on successions.successor_code = trust_months.trust_code
        -- from its effective date only: ODS announces successions ahead
        and successions.effective_date <= trust_months.period
        and successions.effective_date > {{ dbt.dateadd('month', -1 * var('cqc_merged_no_aggregation_months'),
                                                        'trust_months.period') }}
),

site_ratings as (
    select known.*
    from known
    inner join trust_months
        on trust_months.trust_code = known.trust_code and trust_months.period = known.period
    where known.rating_level in ('location', 'core service')
),

published_trust_ratings as (
    select known.*
    from known
    inner join trust_months
        on trust_months.trust_code = known.trust_code and trust_months.period = known.period
    where known.rating_level = 'trust'
),

-- trusts with no published rating of their own that month, whose ratings may be aggregated
to_compute as (
    select trust_months.trust_code, trust_months.period
    from trust_months
    left join (select distinct trust_code, period from published_trust_ratings) as published
        on published.trust_code = trust_months.trust_code and published.period = trust_months.period
    left join merged_recently
        on merged_recently.trust_code = trust_months.trust_code and merged_recently.period = trust_months.period
    where published.trust_code is null and merged_recently.trust_code is null
),

computed_key_questions as (
    select
        site_ratings.period,
        site_ratings.trust_code,
        site_ratings.key_question,
        {{ cqc_aggregated_rating('site_ratings.rating') }} as rating,
        max(site_ratings.publication_date) as publication_date,
        max(site_ratings.received_on) as received_on
    from site_ratings
    inner join to_compute
        on to_compute.trust_code = site_ratings.trust_code and to_compute.period = site_ratings.period
    where site_ratings.rating_level = 'location'
      and site_ratings.key_question not in ('Overall', 'Well-led')
      and not site_ratings.is_inherited
      and site_ratings.is_rating
    group by site_ratings.period, site_ratings.trust_code, site_ratings.key_question
),

computed_overall as (
    select
        period,
        trust_code,
        'Overall' as key_question,
        {{ cqc_aggregated_rating('rating') }} as rating,
        max(publication_date) as publication_date,
        max(received_on) as received_on
    from computed_key_questions
    group by period, trust_code
),

computed as (
    select * from computed_key_questions
    union all
    select * from computed_overall
),

all_ratings as (
    select
        period, trust_code, rating_level, location_id, service_name, key_question, rating, is_rating,
        publication_date, is_inherited, 'published by CQC' as rating_basis, source, source_release, received_on,
        source_sha256
    from site_ratings
    union all
    select
        period, trust_code, rating_level, location_id, service_name, key_question, rating, is_rating,
        publication_date, is_inherited, 'published by CQC' as rating_basis, source, source_release, received_on,
        source_sha256
    from published_trust_ratings
    union all
    select
        period, trust_code, 'trust' as rating_level, '' as location_id, 'Overall' as service_name, key_question,
        rating, rating <> 'No published rating' as is_rating, publication_date, false as is_inherited,
        'computed by the CQC ratings principles' as rating_basis, 'platform' as source,
        cast(null as {{ dbt.type_string() }}) as source_release, received_on,
        cast(null as {{ dbt.type_string() }}) as source_sha256
    from computed
)

select
    -- keys
    all_ratings.trust_code,
    all_ratings.period,
    all_ratings.rating_level,
    all_ratings.location_id,
    all_ratings.service_name,
    all_ratings.key_question,
    -- the rating, on the CQC scale (Outstanding best … Inadequate worst)
    all_ratings.rating,
    all_ratings.is_rating,
    'cqc_outstanding_best' as rating_scale,
    all_ratings.publication_date,
    -- knowledge dates: when the world could know it (its publication) and when this platform received it
    all_ratings.publication_date as published_on,
    all_ratings.received_on,
    {{ dbt.datediff('all_ratings.publication_date', 'all_ratings.period', 'day') }} as rating_age_days,
    all_ratings.is_inherited,
    all_ratings.is_rating and not all_ratings.is_inherited as is_aggregated,
    all_ratings.rating_basis,
    -- context and lineage
    trust_months.icb_code,
    trust_months.restated_trust_code,
    all_ratings.source,
    all_ratings.source_release,
    all_ratings.source_sha256
from all_ratings
inner join trust_months
    on trust_months.trust_code = all_ratings.trust_code and trust_months.period = all_ratings.period
