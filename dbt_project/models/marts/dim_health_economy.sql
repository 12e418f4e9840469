with icbs as (
    select * from {{ ref('stg_ods__icbs') }}
),

open_trusts as (
    select icb_code, count(*) as open_trust_count
    from {{ ref('stg_ods__trusts') }}
    where {{ is_open('close_date') }} and icb_code is not null
    group by icb_code
),

final as (
    select
        icbs.icb_code,
        icbs.icb_ons_code,
        icbs.icb_name,
        coalesce(open_trusts.open_trust_count, 0) as open_trust_count,
        icbs.source_sha256
    from icbs
    left join open_trusts
        on open_trusts.icb_code = icbs.icb_code
)

select * from final
