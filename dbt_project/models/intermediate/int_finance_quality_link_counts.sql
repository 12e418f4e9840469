-- Per reporting month: the 2×2 table of quality failing (the trust rated Requires improvement or Inadequate overall)
-- × finance failing (overall finance score at or above the configured score), over trusts with both known, under
-- the latest methodology version.
with inputs as (
    select * from {{ ref('int_failure_scale_inputs') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

bar as (
    select quality_failing_finance_score from {{ ref('int_failure_scale_scenarios') }}
    where scenario = 'baseline' and methodology_version = '{{ var("methodology_version") }}'
),

classified as (
    select
        inputs.period,
        case when inputs.trust_overall_rating in ('Requires improvement', 'Inadequate') then 1
             when inputs.trust_overall_rating in ('Good', 'Outstanding') then 0 end as quality_failing,
        case when inputs.overall_finance_score >= bar.quality_failing_finance_score then 1
             when inputs.overall_finance_score is not null then 0 end as finance_failing
    from inputs
    cross join bar
)

select
    period,
    count(case when quality_failing = 1 and finance_failing = 1 then 1 end) as a,
    count(case when quality_failing = 1 and finance_failing = 0 then 1 end) as b,
    count(case when quality_failing = 0 and finance_failing = 1 then 1 end) as c,
    count(case when quality_failing = 0 and finance_failing = 0 then 1 end) as d,
    count(case when quality_failing is null or finance_failing is null then 1 end) as n_unclassified
from classified
group by period
