-- Point in time: for each reporting month, the trusts' sickness absence in each of the latest published months known
-- by its end (at most var sickness_history_months of them; the series is published about four months in arrears),
-- each figure as its latest release by then gave it, with the trust's national percentile rank that month
-- (1 = the highest rate in England) and the figures the economy's leave-one-out stress needs.
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

versions as (
    select *
    from {{ ref('stg_workforce__sickness_absence') }}
    where org_code in (select trust_code from {{ ref('dim_trust') }})  -- trusts, not ICBs or national bodies
),

-- which data months each reporting month can see, newest first
data_months as (
    select month_end as data_month, min(published_on) as first_published
    from versions
    group by month_end
),

visible_months as (
    select
        months.month_end as period,
        data_months.data_month,
        row_number() over (partition by months.month_end order by data_months.data_month desc) as months_back
    from months
    inner join data_months on data_months.first_published <= months.month_end
),

known as (
    select
        visible_months.period,
        visible_months.months_back,
        versions.*,
        row_number() over (
            partition by visible_months.period, versions.org_code, versions.month_end
            order by versions.release_key desc
        ) as version_rank
    from visible_months
    inner join versions
        on versions.month_end = visible_months.data_month
        and versions.published_on <= visible_months.period
    where visible_months.months_back <= {{ var('sickness_history_months') }}
),

current_figures as (
    select * from known where version_rank = 1 and release_change <> 'removed'
)

select
    org_code as trust_code,
    period,
    month_end as data_month,
    months_back,
    sickness_absence_rate_percent,
    sickness_absence_rate_percent_missing_reason,
    fte_days_lost,
    fte_days_available,
    -- suppressed rates are not ranked (NULL), never ranked as 0
    case when sickness_absence_rate_percent is not null then
        percent_rank() over (
            partition by period, month_end, case when sickness_absence_rate_percent is null then 0 else 1 end
            order by sickness_absence_rate_percent
        )
    end as national_percentile_rank,
    release_key as source_release,
    published_on as source_published_on,
    received_on as source_received_on,
    source_sha256
from current_figures
