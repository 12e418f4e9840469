-- Peer groups (DOMAIN.md): each trust's peer group — acute (specialist apart), mental health, community, ambulance —
-- from CQC's primary inspection category of its locations in the latest ratings it published: the category most of
-- the trust's locations carry (ties: the category first by name), mapped by the cqc_peer_groups seed. Trusts CQC
-- lists no location for have no peer group (NULL), and a category the seed does not map gives `other`.
with ratings as (
    select * from {{ ref('stg_cqc__latest_ratings') }}
    where rating_level = 'location'
),

-- each location's latest version: what CQC's newest sheet says of it (a removed location has gone)
latest_versions as (
    select
        provider_id,
        location_id,
        primary_inspection_category,
        release_change,
        release_key,
        row_number() over (partition by provider_id, location_id order by release_key desc) as recency
    from ratings
),

locations as (
    select distinct provider_id, location_id, primary_inspection_category, release_key
    from latest_versions
    where recency = 1 and release_change <> 'removed' and primary_inspection_category is not null
),

categories as (
    select
        provider_id as trust_code,
        primary_inspection_category,
        count(*) as locations_in_category,
        max(release_key) as source_release
    from locations
    group by provider_id, primary_inspection_category
),

ranked as (
    select
        categories.*,
        cast(sum(locations_in_category) over (partition by trust_code) as {{ dbt.type_bigint() }}) as locations,
        row_number() over (
            partition by trust_code order by locations_in_category desc, primary_inspection_category
        ) as category_rank
    from categories
)

select
    trusts.trust_code,
    case when ranked.trust_code is null then null else coalesce(peer_groups.peer_group, 'other') end as peer_group,
    ranked.primary_inspection_category,
    ranked.locations_in_category,
    ranked.locations,
    case when ranked.trust_code is null then 'no CQC location listed'
         else 'primary inspection category of most of its locations' end as peer_group_basis,
    ranked.source_release
from {{ ref('dim_trust') }} as trusts
left join ranked on ranked.trust_code = trusts.trust_code and ranked.category_rank = 1
left join {{ ref('cqc_peer_groups') }} as peer_groups
    on peer_groups.primary_inspection_category = ranked.primary_inspection_category
