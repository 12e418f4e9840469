-- One row per trust × reporting month: the five finance metrics of the Single Oversight Framework, their scores
-- (1 best … 4 worst) and the overall finance score under the latest methodology version, from the latest in-year
-- return the platform had received by the end of that month, with its age. RESTRICTED data (in-year returns).
-- Every version's scores: int_trust_finance_scored.
select *
from {{ ref('int_trust_finance_scored') }}
where methodology_version = '{{ var("methodology_version") }}'
