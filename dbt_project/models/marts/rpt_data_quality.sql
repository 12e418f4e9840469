-- The data-quality report: per asset (a feed's table, or a mart) and partition (a release; empty for a current file
-- or a mart), the latest ingestion attempt — rows in, valid, quarantined, and whether it was stored, unchanged or
-- rejected and why — the latest stored version, and the latest Great Expectations evaluation: expectations passed,
-- failed blocking (critical) and failed as a caution (warning). Marts are checked after dbt builds them, so a mart's
-- row shows the checks of the build before this one. A series the platform holds no release of has a row of its own
-- saying so (held = 'no releases'): a feed the deployment lacks is said, never read as fine.
with ingestions as (
    select * from {{ ref('stg_quality__ingestions') }}
),

attempts as (
    select
        asset,
        partition_key,
        count(*) as attempts,
        count(case when outcome = 'rejected' then 1 end) as rejections
    from ingestions
    group by asset, partition_key
),

latest_attempt as (
    select * from (
        select *, row_number() over (partition by asset, partition_key order by recorded_at desc) as recency
        from ingestions
    ) as ranked
    where recency = 1
),

latest_stored as (
    select * from (
        select *, row_number() over (partition by asset, partition_key order by recorded_at desc) as recency
        from ingestions
        where outcome in ('stored', 'unchanged')
    ) as ranked
    where recency = 1
),

latest_check as (
    select * from (
        select *, row_number() over (partition by asset, partition_key order by recorded_at desc) as recency
        from {{ ref('stg_quality__checks') }}
    ) as ranked
    where recency = 1
),

without_releases as (
    select asset, feed from {{ ref('stg_feeds__holdings') }}
    where is_series and release_key is null
),

assets as (
    select asset, partition_key from latest_attempt
    union
    select asset, partition_key from latest_check
    union
    select asset, '' as partition_key from without_releases
)

select
    assets.asset,
    case when latest_attempt.asset is null and without_releases.asset is null then 'mart' else 'feed' end
        as asset_kind,
    coalesce(latest_attempt.feed, without_releases.feed) as feed,
    case when without_releases.asset is not null then 'no releases' end as held,
    assets.partition_key,
    -- the latest attempt
    latest_attempt.recorded_at as last_attempt_at,
    latest_attempt.outcome as last_outcome,
    latest_attempt.reason as last_reason,
    latest_attempt.file as last_file,
    latest_attempt.layout,
    latest_attempt.rows_in,
    latest_attempt.rows_valid,
    latest_attempt.rows_quarantined,
    coalesce(attempts.attempts, 0) as attempts,
    coalesce(attempts.rejections, 0) as rejections,
    -- what is stored (a rejected file never replaces it)
    latest_stored.recorded_at as last_stored_at,
    latest_stored.source_sha256 as stored_sha256,
    latest_stored.rows_valid as stored_rows,
    -- the latest Great Expectations evaluation
    latest_check.suite,
    latest_check.recorded_at as last_checked_at,
    latest_check.expectations,
    latest_check.expectations_passed,
    latest_check.expectations_failed_critical,
    latest_check.expectations_failed_warning,
    latest_check.severity as check_outcome,
    latest_check.failures as check_failures
from assets
left join latest_attempt
    on latest_attempt.asset = assets.asset and latest_attempt.partition_key = assets.partition_key
left join attempts on attempts.asset = assets.asset and attempts.partition_key = assets.partition_key
left join latest_stored
    on latest_stored.asset = assets.asset and latest_stored.partition_key = assets.partition_key
left join latest_check on latest_check.asset = assets.asset and latest_check.partition_key = assets.partition_key
left join without_releases on without_releases.asset = assets.asset and assets.partition_key = ''
