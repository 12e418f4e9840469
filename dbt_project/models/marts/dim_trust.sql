with trusts as (
    select * from {{ ref('stg_ods__trusts') }}
),

successors as (
    select * from {{ ref('int_trust_successors_resolved') }}
),

final as (
    select
        -- identity
        trusts.trust_code,
        trusts.trust_name,
        -- geography: NHS England region and health economy (ICB); NULL ICB for trusts outside England
        trusts.region_code,
        trusts.icb_code,
        trusts.postcode,
        -- life cycle
        trusts.open_date,
        trusts.close_date,
        {{ is_open('trusts.close_date') }} as is_open,
        successors.successor_code,
        successors.successor_effective_date,
        successors.current_successor_code,
        -- lineage
        trusts.source_sha256,
        trusts.received_on
    from trusts
    left join successors
        on successors.trust_code = trusts.trust_code
)

select * from final
