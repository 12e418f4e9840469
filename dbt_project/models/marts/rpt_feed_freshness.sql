-- Per feed: the latest release held, when it was published and when the platform received it, how many releases
-- are held, and "no releases" where there are none — a feed the deployment lacks is said, never read as fine.
-- Ages are counted to the run's as-at date.
with holdings as (
    select * from {{ ref('stg_feeds__holdings') }}
),

latest as (
    select * from (
        select
            holdings.*,
            row_number() over (partition by feed order by published_on desc, release_key desc) as recency
        from holdings
        where release_key is not null or (not is_series and source_sha256 is not null)
    ) as ranked
    where recency = 1
),

counts as (
    select
        feed,
        count(case when release_key is not null or (not is_series and source_sha256 is not null) then 1 end)
            as releases_held
    from holdings
    group by feed
),

feeds as (
    select distinct feed, asset, description, publisher_folder, is_series, partitioned_by, restricted
    from holdings
)

select
    feeds.feed,
    feeds.asset,
    feeds.description,
    feeds.publisher_folder,
    feeds.is_series,
    feeds.partitioned_by,
    feeds.restricted,
    counts.releases_held,
    case when counts.releases_held = 0 then 'no releases' else 'held' end as status,
    latest.release_key as latest_release,
    latest.file as latest_file,
    latest.published_on as latest_published_on,
    latest.received_on as latest_received_on,
    {{ dbt.datediff('latest.published_on', as_at_date(), 'day') }} as days_since_published,
    latest.rows_held as latest_rows,
    latest.layout as latest_layout,
    {{ as_at_date() }} as as_at
from feeds
inner join counts on counts.feed = feeds.feed
left join latest on latest.feed = feeds.feed
