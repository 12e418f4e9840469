-- Organisation history: every English trust open at each reporting month end, with the health economy (ICB) it
-- belonged to then — as ODS gave it in the latest version of etr.csv published by that date — and the organisation
-- its history is restated under today (the end of its successor chain). A merged trust's months stop at its close
-- date and its successor's start at its open date.
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

trusts as (
    select * from {{ ref('dim_trust') }}
),

economies as (
    select * from {{ ref('int_trust_health_economy_by_month') }}
)

select
    trusts.trust_code,
    months.month_end as period,
    {{ month_index('months.month_end') }} as period_index,
    economies.icb_code,
    economies.region_code,
    economies.economy_basis,
    economies.ods_version,
    trusts.open_date,
    coalesce(trusts.current_successor_code, trusts.trust_code) as restated_trust_code
from months
inner join trusts
    on trusts.open_date <= months.month_end
    and (trusts.close_date is null or trusts.close_date > months.month_end)
inner join economies
    on economies.trust_code = trusts.trust_code and economies.period = months.month_end
where economies.icb_code is not null  -- English trusts: a health economy to belong to
