-- Leave-one-out: a trust's economy stress counts only the other trusts of its economy, so the failing share it sees
-- equals (failing members − itself) / (members − 1).
{{ config(meta={'dagster': {'ref': {'name': 'fct_economy_condition'}}}) }}
select icb_code, period, trust_code
from {{ ref('fct_economy_condition') }}
where other_trusts > 0
  and abs(others_failing_share - 1.0 * (economy_failing_trusts - trust_is_failing) / other_trusts) > 1e-9
