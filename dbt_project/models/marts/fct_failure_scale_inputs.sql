-- What the failure scale's criteria look at, per methodology version × trust × reporting month (int_failure_scale_
-- inputs), published so that the what-if (POST /api/v1/methodology/what-if) can judge the same inputs under other
-- thresholds with the same SQL. RESTRICTED (finance scores of the in-year returns): never served as rows.
select * from {{ ref('int_failure_scale_inputs') }}
