-- Level 5 (systemic failure) criteria, per trust × reporting month × calibration scenario: level-4 criteria met
-- while its economy is failing (leave-one-out), or sustained for the configured number of consecutive months
-- (counted within the reporting window: months before it are not seen).
with stress as (
    select * from {{ ref('int_economy_stress') }}
),

runs as (
    select
        stress.*,
        period_index - coalesce(
            max(case when base_level < 4 then period_index end) over (
                partition by scenario, trust_code order by period_index
                rows between unbounded preceding and current row),
            min(period_index) over (partition by scenario, trust_code) - 1
        ) as serious_failure_months
    from stress
)

select scenario, trust_code, period, 5 as level, 'serious_failure_in_failing_economy' as criterion,
           {{ dbt.concat(["'level 4; economy stress measures passed '",
                          dbt.cast('stress_measures_passed', dbt.type_string())]) }} as criterion_value,
           {{ dbt.concat(["'at least '", dbt.cast('economy_failing_measures', dbt.type_string()),
                          "' measures (leave-one-out)'"]) }} as criterion_threshold,
           'economy condition' as source, period as source_date
    from runs
    where base_level >= 4 and economy_failing

    union all

    select scenario, trust_code, period, 5, 'serious_failure_sustained',
           {{ dbt.cast('serious_failure_months', dbt.type_string()) }},
           {#- a whole number of months, printed as one on either engine (DuckDB's ceil is a double, Spark's not) -#}
           {{ dbt.concat(["'at least '",
                          dbt.cast(dbt.cast('ceil(sustained_serious_months)', dbt.type_int()), dbt.type_string()),
                          "' consecutive months at level 4'"]) }},
           'failure scale history', period
    from runs
    where base_level >= 4 and serious_failure_months >= ceil(sustained_serious_months)
