-- Pockets of poor care (DOMAIN.md question 2): per reporting month, every core service — and every location with
-- no core service of its own rated so — rated Inadequate or Requires improvement overall inside a trust whose own
-- overall rating is Good or Outstanding. Inherited ratings are not the trust's own and are left out.
with quality as (
    select * from {{ ref('fct_trust_quality') }}
),

good_trusts as (
    select trust_code, period, rating as trust_rating, rating_basis as trust_rating_basis
    from quality
    where rating_level = 'trust' and key_question = 'Overall' and rating in ('Good', 'Outstanding')
),

poor_sites as (
    select *
    from quality
    where rating_level in ('location', 'core service')
      and key_question = 'Overall'
      and rating in ('Inadequate', 'Requires improvement')
      and not is_inherited
),

-- a location counts as a pocket in its own right only when none of its core services does
locations_with_poor_services as (
    select distinct trust_code, period, location_id
    from poor_sites
    where rating_level = 'core service'
)

select
    poor_sites.trust_code,
    poor_sites.period,
    poor_sites.location_id,
    poor_sites.service_name,
    poor_sites.rating_level as pocket_level,
    poor_sites.rating,
    poor_sites.publication_date,
    poor_sites.rating_age_days,
    good_trusts.trust_rating,
    good_trusts.trust_rating_basis,
    poor_sites.icb_code,
    poor_sites.source,
    poor_sites.source_release,
    poor_sites.source_sha256
from poor_sites
inner join good_trusts
    on good_trusts.trust_code = poor_sites.trust_code and good_trusts.period = poor_sites.period
left join locations_with_poor_services
    on locations_with_poor_services.trust_code = poor_sites.trust_code
    and locations_with_poor_services.period = poor_sites.period
    and locations_with_poor_services.location_id = poor_sites.location_id
where poor_sites.rating_level = 'core service' or locations_with_poor_services.location_id is null
