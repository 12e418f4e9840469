-- Organisation history: every English trust open at each reporting month end, with the health economy (ICB) it
-- belonged to then, and the organisation its history is restated under today (the end of its successor chain).
-- ODS carries each trust's ICB without a history of moves, so a trust's economy as of a date is its ODS ICB for
-- the dates it was open; a merged trust's months stop at its close date and its successor's start at its open.
with months as (
    select month_end from {{ ref('int_reporting_months') }}
),

trusts as (
    select * from {{ ref('dim_trust') }}
    where icb_code is not null  -- English trusts: a health economy to belong to
)

select
    trusts.trust_code,
    months.month_end as period,
    {{ month_index('months.month_end') }} as period_index,
    trusts.icb_code,
    trusts.region_code,
    trusts.open_date,
    coalesce(trusts.current_successor_code, trusts.trust_code) as restated_trust_code
from months
inner join trusts
    on trusts.open_date <= months.month_end
    and (trusts.close_date is null or trusts.close_date > months.month_end)
