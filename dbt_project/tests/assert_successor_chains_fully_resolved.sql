{{ config(meta={'dagster': {'ref': {'name': 'int_trust_successors_resolved'}}}) }}
-- A resolved "current successor" must not itself have a successor: if it does, a chain is longer than
-- var('max_succession_hops') and the resolution is incomplete.
select resolved.trust_code, resolved.current_successor_code
from {{ ref('int_trust_successors_resolved') }} as resolved
inner join {{ ref('stg_ods__successors') }} as further
    on further.predecessor_code = resolved.current_successor_code
