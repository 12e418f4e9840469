-- CQC principles: an inherited rating is shown but never aggregated, and never counts as a pocket of poor care.
{{ config(meta={'dagster': {'ref': {'name': 'fct_trust_quality'}}}) }}
select trust_code, period, location_id, service_name, key_question
from {{ ref('fct_trust_quality') }}
where is_inherited and is_aggregated
