-- Per trust × reporting month: total FTE and headcount (the "Total" staff group; by group in
-- fct_trust_workforce_by_staff_group) and sickness absence — the latest published month's rate, its national
-- percentile rank, and how many of the latest consecutive published months it sat in the worst national decile.
-- All as known at the month's end. NULL where nothing had been published yet, never 0.
with trust_months as (
    select * from {{ ref('int_trust_months') }}
),

staff as (
    select * from {{ ref('int_staff_group_known') }} where staff_group = 'Total'
),

sickness as (
    select * from {{ ref('int_sickness_known') }}
),

worst_decile as (
    select value from {{ ref('failure_scale_thresholds') }}
    where methodology_version = '{{ var("methodology_version") }}' and threshold = 'sickness_worst_percentile'
),

-- consecutive months in the worst decile, counting back from the latest published month: a month is in the run when
-- it and every month after it were published for the trust and in the worst decile (a missing month ends the run)
flagged as (
    select
        sickness.trust_code,
        sickness.period,
        sickness.months_back,
        sum(case when sickness.national_percentile_rank >= worst_decile.value then 1 else 0 end) over (
            partition by sickness.trust_code, sickness.period order by sickness.months_back
            rows between unbounded preceding and current row
        ) as worst_so_far
    from sickness
    cross join worst_decile
),

streak as (
    select
        trust_code,
        period,
        coalesce(max(case when worst_so_far = months_back then months_back end), 0) as worst_decile_months
    from flagged
    group by trust_code, period
)

select
    trust_months.trust_code,
    trust_months.period,
    -- workforce (ESR) in its latest published month
    staff.data_month as workforce_month,
    staff.fte as total_fte,
    staff.headcount as total_headcount,
    -- sickness absence in its latest published month
    latest.data_month as sickness_month,
    latest.sickness_absence_rate_percent,
    latest.sickness_absence_rate_percent_missing_reason,
    latest.national_percentile_rank as sickness_national_percentile_rank,
    -- knowledge dates of the sickness figure: its publication, and when this platform received it
    latest.source_published_on as published_on,
    latest.source_received_on as received_on,
    streak.worst_decile_months as sickness_worst_decile_months,
    trust_months.icb_code,
    trust_months.restated_trust_code,
    staff.source_release as workforce_source_release,
    latest.source_release as sickness_source_release
from trust_months
left join staff on staff.trust_code = trust_months.trust_code and staff.period = trust_months.period
left join sickness as latest
    on latest.trust_code = trust_months.trust_code and latest.period = trust_months.period and latest.months_back = 1
left join streak on streak.trust_code = trust_months.trust_code and streak.period = trust_months.period
