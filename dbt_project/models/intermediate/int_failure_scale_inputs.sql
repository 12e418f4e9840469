{{ config(materialized='table') }}  {# several models and tests read it: as a view, each would work it out again #}
-- Everything the failure scale's criteria look at, per methodology version × trust × reporting month, as known at the
-- month's end: the trust's own CQC ratings (and, where the version defines them, its quality and leadership domain
-- scores), its pockets of poor care, its finance scores under the version's bands with the return's age, and its
-- sickness absence ranks with the latest figure's publication date and age.
with trust_months as (
    select * from {{ ref('int_trust_months') }}
),

trust_ratings as (
    select
        trust_code,
        period,
        max(case when key_question = 'Overall' then rating end) as trust_overall_rating,
        max(case when key_question = 'Safe' then rating end) as trust_safe_rating,
        max(case when key_question = 'Well-led' then rating end) as trust_well_led_rating,
        max(case when key_question = 'Overall' then publication_date end) as trust_rating_date,
        max(rating_basis) as trust_rating_basis
    from {{ ref('fct_trust_quality') }}
    where rating_level = 'trust'
    group by trust_code, period
),

pockets as (
    select trust_code, period, count(*) as pockets, max(publication_date) as latest_pocket_date
    from {{ ref('rpt_pockets_of_poor_care') }}
    group by trust_code, period
),

sickness as (
    select
        trust_code,
        period,
        {%- for k in range(1, var('sickness_history_months') + 1) %}
        max(case when months_back = {{ k }} then national_percentile_rank end) as sickness_rank_{{ k }},
        {%- endfor %}
        max(case when months_back = 1 then data_month end) as sickness_month,
        max(case when months_back = 1 then source_published_on end) as sickness_published_on,
        max(case when months_back = 1 then fte_days_lost end) as sickness_fte_days_lost,
        max(case when months_back = 1 then fte_days_available end) as sickness_fte_days_available
    from {{ ref('int_sickness_known') }}
    group by trust_code, period
),

versions as (
    select distinct methodology_version from {{ ref('failure_scale_thresholds') }}
),

domain_ratings as (
    select * from {{ ref('oversight_domain_ratings') }}
)

select
    versions.methodology_version,
    trust_months.trust_code,
    trust_months.period,
    trust_months.period_index,
    trust_months.icb_code,
    trust_months.restated_trust_code,
    -- quality
    trust_ratings.trust_overall_rating,
    trust_ratings.trust_safe_rating,
    trust_ratings.trust_well_led_rating,
    trust_ratings.trust_rating_date,
    trust_ratings.trust_rating_basis,
    quality_domain.score as quality_domain_score,
    leadership_domain.score as leadership_domain_score,
    coalesce(pockets.pockets, 0) as pockets,
    pockets.latest_pocket_date,
    -- finance (restricted in-year returns)
    finance.overall_finance_score,
    {%- for domain in finance_domain_scores() %}
    finance.{{ domain }},
    {%- endfor %}
    finance.return_received_on as finance_return_received_on,
    finance.return_period_end as finance_return_period_end,
    finance.return_age_months as finance_return_age_months,
    finance.ytd_actual_surplus,
    finance.ytd_operating_income,
    -- sickness absence, latest published month first
    {%- for k in range(1, var('sickness_history_months') + 1) %}
    sickness.sickness_rank_{{ k }},
    {%- endfor %}
    sickness.sickness_month,
    sickness.sickness_published_on,
    {{ month_index('trust_months.period') }} - {{ month_index('sickness.sickness_month') }} as sickness_age_months,
    sickness.sickness_fte_days_lost,
    sickness.sickness_fte_days_available
from trust_months
cross join versions
left join trust_ratings on trust_ratings.trust_code = trust_months.trust_code and trust_ratings.period = trust_months.period
left join pockets on pockets.trust_code = trust_months.trust_code and pockets.period = trust_months.period
left join {{ ref('int_trust_finance_scored') }} as finance
    on finance.methodology_version = versions.methodology_version
    and finance.trust_code = trust_months.trust_code and finance.period = trust_months.period
left join domain_ratings as quality_domain
    on quality_domain.methodology_version = versions.methodology_version
    and quality_domain.domain = 'quality' and quality_domain.rating = trust_ratings.trust_overall_rating
left join domain_ratings as leadership_domain
    on leadership_domain.methodology_version = versions.methodology_version
    and leadership_domain.domain = 'leadership' and leadership_domain.rating = trust_ratings.trust_well_led_rating
left join sickness on sickness.trust_code = trust_months.trust_code and sickness.period = trust_months.period
