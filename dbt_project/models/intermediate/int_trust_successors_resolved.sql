{#
  Follow each succession chain (A -> B -> C) to the organisation that carries the history today.
  A fixed number of self-joins instead of a recursive CTE, so the same SQL builds on DuckDB and Spark;
  the test assert_successor_chains_fully_resolved fails if a chain is ever longer than max_hops.
#}
{% set max_hops = var('max_succession_hops', 8) %}

with successions as (
    select predecessor_code, successor_code, effective_date
    from {{ ref('stg_ods__successors') }}
),

chains as (
    select
        hop_1.predecessor_code as trust_code,
        hop_1.successor_code,
        hop_1.effective_date as successor_effective_date,
        coalesce(
            {%- for hop in range(max_hops, 0, -1) %}
            hop_{{ hop }}.successor_code{{ "," if not loop.last }}
            {%- endfor %}
        ) as current_successor_code,
        1
        {%- for hop in range(2, max_hops + 1) %}
        + case when hop_{{ hop }}.successor_code is not null then 1 else 0 end
        {%- endfor %} as succession_hops
    from successions as hop_1
    {%- for hop in range(2, max_hops + 1) %}
    left join successions as hop_{{ hop }}
        on hop_{{ hop }}.predecessor_code = hop_{{ hop - 1 }}.successor_code
    {%- endfor %}
)

select * from chains
