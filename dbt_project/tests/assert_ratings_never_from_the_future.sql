-- Point in time: no rating shown for a month was published after that month's end.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_quality'}}}) }}
select trust_code, period, rating_level, location_id, service_name, key_question, publication_date
from {{ ref('fct_trust_quality') }}
where publication_date > period
