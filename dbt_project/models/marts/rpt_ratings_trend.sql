-- Have ratings improved (DOMAIN.md question 5)? Location overall ratings by the year CQC published them: how many of
-- each, the mean on a 0 (Inadequate) … 3 (Outstanding) score, the share Good or Outstanding, with inherited ratings
-- excluded (and counted), and the five-year trend (least-squares slope of the yearly mean) over the latest five years.
-- The year of the run's as-at date is a part-year (its ratings so far: `is_part_year`, with the months it covers),
-- and every year shows how old its ratings are at the as-at date (their mean age; DOMAIN.md: rating age shown).
with events as (
    select * from {{ ref('int_cqc_rating_events') }}
    where rating_level = 'location' and key_question = 'Overall' and is_rating
      and (release_change <> 'removed' or source = 'cqc-api')
),

-- one rating per location and publication date, whichever route carried it
ratings as (
    select
        location_id,
        publication_date,
        max(rating) as rating,
        max(case when is_inherited then 1 else 0 end) as is_inherited
    from events
    group by location_id, publication_date
),

by_year as (
    select
        extract(year from publication_date) as publication_year,
        count(case when is_inherited = 0 then 1 end) as ratings,
        count(case when is_inherited = 1 then 1 end) as inherited_ratings_excluded,
        count(case when is_inherited = 0 and rating = 'Outstanding' then 1 end) as outstanding,
        count(case when is_inherited = 0 and rating = 'Good' then 1 end) as good,
        count(case when is_inherited = 0 and rating = 'Requires improvement' then 1 end) as requires_improvement,
        count(case when is_inherited = 0 and rating = 'Inadequate' then 1 end) as inadequate,
        avg(case when is_inherited = 0 then
            case rating when 'Inadequate' then 0 when 'Requires improvement' then 1 when 'Good' then 2
                        when 'Outstanding' then 3 end end) as mean_score,
        avg(case when is_inherited = 0 then
            {{ dbt.datediff('publication_date', as_at_date(), 'day') }} end) as mean_rating_age_days
    from ratings
    where publication_date <= {{ as_at_date() }}
    group by extract(year from publication_date)
),

window_years as (
    select *, publication_year > max(publication_year) over () - 5 as in_five_year_window
    from by_year
),

trend as (
    select
        (count(*) * sum(publication_year * mean_score) - sum(publication_year) * sum(mean_score))
            / nullif(count(*) * sum(publication_year * publication_year) - sum(publication_year) * sum(publication_year), 0)
            as five_year_slope_per_year
    from window_years
    where in_five_year_window
)

select
    window_years.publication_year,
    window_years.ratings,
    window_years.inherited_ratings_excluded,
    window_years.outstanding,
    window_years.good,
    window_years.requires_improvement,
    window_years.inadequate,
    window_years.mean_score,
    'cqc_0_inadequate_3_outstanding' as score_scale,
    cast(window_years.good + window_years.outstanding as double) / nullif(window_years.ratings, 0)
        as share_good_or_outstanding,
    window_years.in_five_year_window,
    trend.five_year_slope_per_year,
    -- the year still running at the as-at date: its ratings so far, not a whole year's
    window_years.publication_year = extract(year from {{ as_at_date() }})
        and extract(month from {{ as_at_date() }}) * 100 + extract(day from {{ as_at_date() }}) < 1231
        as is_part_year,
    case when window_years.publication_year = extract(year from {{ as_at_date() }})
         then extract(month from {{ as_at_date() }}) else 12 end as months_covered,
    window_years.mean_rating_age_days
from window_years
cross join trend
