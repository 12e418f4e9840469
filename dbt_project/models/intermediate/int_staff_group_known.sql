-- Point in time: each trust's workforce by staff group in the latest month the monthly workforce statistics had
-- published by each reporting month's end, each figure as the latest release by then gave it (releases revise
-- recent months, so a later release never rewrites what an earlier month knew).
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

versions as (
    select * from {{ ref('stg_workforce__staff_group') }}
),

releases as (
    select release_key, published_on, max(month_end) as latest_data_month
    from versions
    group by release_key, published_on
),

-- the newest data month any release out by then covered
visible as (
    select months.month_end as period, max(releases.latest_data_month) as data_month
    from months
    inner join releases on releases.published_on <= months.month_end
    group by months.month_end
),

known as (
    select
        visible.period,
        versions.*,
        row_number() over (
            partition by visible.period, versions.org_code, versions.staff_group, versions.data_type
            order by versions.release_key desc
        ) as version_rank
    from visible
    inner join versions
        on versions.month_end = visible.data_month
        and versions.published_on <= visible.period
)

select
    org_code as trust_code,
    period,
    month_end as data_month,
    staff_group,
    staff_group_sort_order,
    sum(case when data_type = 'FTE' then staff_value end) as fte,
    max(case when data_type = 'FTE' then staff_value_missing_reason end) as fte_missing_reason,
    sum(case when data_type = 'HC' then staff_value end) as headcount,
    max(case when data_type = 'HC' then staff_value_missing_reason end) as headcount_missing_reason,
    max(release_key) as source_release,
    max(source_sha256) as source_sha256
from known
where version_rank = 1 and release_change <> 'removed'
group by org_code, period, month_end, staff_group, staff_group_sort_order
