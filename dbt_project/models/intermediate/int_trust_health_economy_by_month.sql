-- Each trust's health economy (ICB) and region at each reporting month end, as ODS gave them in the latest version
-- of etr.csv published by then. Before the first version the platform holds, the earliest version is assumed to
-- have held since the trust opened, and the row says so (economy_basis), so "as it was" never silently uses today.
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

versions as (
    select * from {{ ref('stg_ods__trust_versions') }}
),

known_by_month as (
    select * from (
        select
            months.month_end,
            versions.trust_code,
            versions.icb_code,
            versions.region_code,
            versions.release_key,
            versions.published_on,
            versions.release_change,
            row_number() over (partition by months.month_end, versions.trust_code
                               order by versions.release_key desc) as version_rank
        from months
        inner join versions on versions.published_on <= months.month_end
    ) as ranked
    where version_rank = 1 and release_change <> 'removed'
),

earliest as (
    select * from (
        select
            versions.*,
            row_number() over (partition by trust_code order by release_key) as version_rank
        from versions
    ) as ranked
    where version_rank = 1 and release_change <> 'removed'
),

trust_months as (
    select months.month_end, earliest.trust_code from months cross join earliest
)

select
    trust_months.trust_code,
    trust_months.month_end as period,
    coalesce(known_by_month.icb_code, earliest.icb_code) as icb_code,
    coalesce(known_by_month.region_code, earliest.region_code) as region_code,
    coalesce(known_by_month.release_key, earliest.release_key) as ods_version,
    case when known_by_month.trust_code is not null then 'ODS as published by the month end'
         else 'earliest ODS version held (assumed since the trust opened)' end as economy_basis
from trust_months
inner join earliest on earliest.trust_code = trust_months.trust_code
left join known_by_month
    on known_by_month.trust_code = trust_months.trust_code and known_by_month.month_end = trust_months.month_end
