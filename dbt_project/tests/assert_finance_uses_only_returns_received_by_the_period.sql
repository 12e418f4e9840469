-- Point in time: a month's finance view uses only returns received by the end of that month.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_finance'}}}) }}
select trust_code, period, return_received_on
from {{ ref('fct_trust_finance') }}
where return_received_on > period
