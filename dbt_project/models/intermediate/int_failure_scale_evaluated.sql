{{ config(materialized='table', post_hook="{{ what_if_view() }}") }}
-- The failure scale's inputs under each methodology version's calibration scenarios, with what every criterion
-- needs to know before it is judged: whether each input is there and current (a finance return or sickness figure
-- older than the version's staleness limit is not), the oversight domain scores, how many domains (as the version
-- defines them) are at the concern score and how many could not be scored, and the sickness worst-decile run.
with inputs as (
    select * from {{ ref('int_failure_scale_inputs') }}
),

scenarios as (
    select * from {{ ref('int_failure_scale_scenarios') }}
),

joined as (
    select
        scenarios.scenario,
        scenarios.moved_threshold,
        scenarios.direction,
        scenarios.move,
        scenarios.domains_rule,
        scenarios.economy_missing_measure_rule,
        scenarios.sustained_history_rule,
        {%- for name in failure_scale_threshold_names() %}
        scenarios.{{ name }},
        {%- endfor %}
        inputs.*,
        coalesce(trust_overall_rating in ('Outstanding', 'Good', 'Requires improvement', 'Inadequate'), false)
            as has_trust_rating,
        coalesce(overall_finance_score is not null
                 and (scenarios.finance_return_stale_months is null
                      or finance_return_age_months <= scenarios.finance_return_stale_months), false) as finance_current,
        coalesce(sickness_rank_1 is not null
                 and (scenarios.sickness_stale_months is null
                      or sickness_age_months <= scenarios.sickness_stale_months), false) as sickness_current
    from inputs
    inner join scenarios on scenarios.methodology_version = inputs.methodology_version
),

domains as (
    select
        joined.*,
        case when finance_current then overall_finance_score end as finance_domain_score,
        case when not sickness_current then null
             when sickness_rank_1 >= workforce_score_4_percentile then 4
             when sickness_rank_1 >= workforce_score_3_percentile then 3
             when sickness_rank_1 >= workforce_score_2_percentile then 2
             else 1 end as workforce_domain_score,
        -- why an input cannot be read this month (NULL: it can)
        case when overall_finance_score is null then 'no in-year finance return'
             when not finance_current then {{ dbt.concat(["'in-year finance return stale: '",
                 dbt.cast('finance_return_age_months', dbt.type_string()), "' months old (limit '",
                 threshold_text('finance_return_stale_months'), "')'"]) }}
        end as finance_missing,
        case when sickness_rank_1 is null then 'no sickness absence figure'
             when not sickness_current then {{ dbt.concat(["'sickness absence figure stale: '",
                 dbt.cast('sickness_age_months', dbt.type_string()), "' months old (limit '",
                 threshold_text('sickness_stale_months'), "')'"]) }}
        end as sickness_missing,
        case when not has_trust_rating then 'no trust rating' end as rating_missing
    from joined
)

select
    domains.*,
    case when domains_rule = 'oversight_domains' then
        case when quality_domain_score >= domain_score_of_concern then 1 else 0 end
        + case when leadership_domain_score >= domain_score_of_concern then 1 else 0 end
        + case when finance_domain_score >= domain_score_of_concern then 1 else 0 end
        + case when workforce_domain_score >= domain_score_of_concern then 1 else 0 end
    else
        case when finance_current then {{ domains_at_or_above('domain_score_of_concern') }} else 0 end
    end as domains_of_concern,
    case when domains_rule = 'oversight_domains' then
        case when quality_domain_score is null then 1 else 0 end
        + case when leadership_domain_score is null then 1 else 0 end
        + case when finance_domain_score is null then 1 else 0 end
        + case when workforce_domain_score is null then 1 else 0 end
    else
        case when finance_current then {{ domains_missing() }} else {{ finance_domain_scores() | length }} end
    end as domains_not_scored,
    case when domains_rule = 'oversight_domains' then
        {{ dbt.concat(["'quality '", "coalesce(" ~ dbt.cast('quality_domain_score', dbt.type_string()) ~ ", '-')",
                       "'; leadership '", "coalesce(" ~ dbt.cast('leadership_domain_score', dbt.type_string()) ~ ", '-')",
                       "'; finance '", "coalesce(" ~ dbt.cast('finance_domain_score', dbt.type_string()) ~ ", '-')",
                       "'; workforce '", "coalesce(" ~ dbt.cast('workforce_domain_score', dbt.type_string()) ~ ", '-')"]) }}
    end as domain_scores_text,
    {{ sickness_worst_run('sickness_worst_percentile') }} as sickness_worst_run
from domains
