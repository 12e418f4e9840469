-- Per methodology version and reporting month: the 2×2 table of quality failing (the trust rated Requires
-- improvement or Inadequate overall) × finance failing (overall finance score, under the version's bands, at or
-- above the version's bar), over trusts with both known.
with inputs as (
    select * from {{ ref('int_failure_scale_inputs') }}
),

bar as (
    select methodology_version, quality_failing_finance_score from {{ ref('int_failure_scale_scenarios') }}
    where scenario = 'baseline'
),

classified as (
    select
        inputs.methodology_version,
        inputs.period,
        case when inputs.trust_overall_rating in ('Requires improvement', 'Inadequate') then 1
             when inputs.trust_overall_rating in ('Good', 'Outstanding') then 0 end as quality_failing,
        case when inputs.overall_finance_score >= bar.quality_failing_finance_score then 1
             when inputs.overall_finance_score is not null then 0 end as finance_failing
    from inputs
    inner join bar on bar.methodology_version = inputs.methodology_version
)

select
    methodology_version,
    period,
    count(case when quality_failing = 1 and finance_failing = 1 then 1 end) as a,
    count(case when quality_failing = 1 and finance_failing = 0 then 1 end) as b,
    count(case when quality_failing = 0 and finance_failing = 1 then 1 end) as c,
    count(case when quality_failing = 0 and finance_failing = 0 then 1 end) as d,
    count(case when quality_failing is null or finance_failing is null then 1 end) as n_unclassified
from classified
group by methodology_version, period
