{#
  Each trust that has been succeeded, with its successor and the organisation that carries its history as at the
  run's date (the end of its chain A -> B -> C).
  * succ.csv covers every organisation type: only trusts' successions are followed here.
  * A succession takes effect from its date: one announced for later (ODS publishes them ahead) is not followed yet.
  * A trust split between several successors has no single successor to restate its history under: the chain stops
    there (successor_code NULL, successor_count says how many), and its history stays its own.
  A fixed number of self-joins instead of a recursive CTE, so the same SQL builds on DuckDB and Spark;
  the test assert_successor_chains_fully_resolved fails if a chain is ever longer than max_hops.
#}
{% set max_hops = var('max_succession_hops', 8) %}

with trusts as (
    select trust_code from {{ ref('stg_ods__trusts') }}
),

in_effect as (
    select successions.predecessor_code, successions.successor_code, successions.effective_date
    from {{ ref('stg_ods__successors') }} as successions
    inner join trusts on trusts.trust_code = successions.predecessor_code
    where successions.effective_date <= {{ as_at_date() }}
),

predecessors as (
    select
        predecessor_code,
        count(*) as successor_count,
        min(successor_code) as first_successor_code,
        max(effective_date) as effective_date
    from in_effect
    group by predecessor_code
),

-- one successor each: the history follows it
successions as (
    select predecessor_code, first_successor_code as successor_code, effective_date
    from predecessors
    where successor_count = 1
),

chains as (
    select
        hop_0.predecessor_code as trust_code,
        hop_1.successor_code,
        hop_0.effective_date as successor_effective_date,
        hop_0.successor_count,
        coalesce(
            {%- for hop in range(max_hops, 0, -1) %}
            hop_{{ hop }}.successor_code{{ "," if not loop.last }}
            {%- endfor %}
        ) as current_successor_code,
        0
        {%- for hop in range(1, max_hops + 1) %}
        + case when hop_{{ hop }}.successor_code is not null then 1 else 0 end
        {%- endfor %} as succession_hops
    from predecessors as hop_0
    left join successions as hop_1
        on hop_1.predecessor_code = hop_0.predecessor_code
    {%- for hop in range(2, max_hops + 1) %}
    left join successions as hop_{{ hop }}
        on hop_{{ hop }}.predecessor_code = hop_{{ hop - 1 }}.successor_code
    {%- endfor %}
)

select * from chains
