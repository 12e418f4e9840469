-- FTE and headcount per trust × reporting month × staff group, from the latest month of the workforce statistics
-- published by the month's end (point in time). Suppressed figures stay NULL with their reason, never 0.
select
    trust_months.trust_code,
    trust_months.period,
    known.staff_group,
    known.staff_group_sort_order,
    known.data_month,
    known.fte,
    known.fte_missing_reason,
    known.headcount,
    known.headcount_missing_reason,
    trust_months.icb_code,
    trust_months.restated_trust_code,
    known.source_release,
    known.source_sha256
from {{ ref('int_trust_months') }} as trust_months
inner join {{ ref('int_staff_group_known') }} as known
    on known.trust_code = trust_months.trust_code and known.period = trust_months.period
