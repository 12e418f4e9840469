{{ config(meta={'dagster': {'ref': {'name': 'int_trust_successors_resolved'}}}) }}
-- A resolved "current successor" must not itself have a successor in effect (a single one: a split stops the chain):
-- if it does, a chain is longer than var('max_succession_hops') and the resolution is incomplete.
select resolved.trust_code, resolved.current_successor_code
from {{ ref('int_trust_successors_resolved') }} as resolved
inner join {{ ref('int_trust_successors_resolved') }} as further
    on further.trust_code = resolved.current_successor_code
where further.successor_code is not null
