-- Public finance (DOMAIN.md: annual accounts are public): per trust and financial year, the Trust Accounts
-- Consolidation figures the platform uses (£000 as published; the tac_subcodes seed maps each year's subcodes),
-- with the I&E margin and agency spend as a share of staff costs. Each line is its latest version; `published_on` is when its
-- year's release was published, so "what was known on date D" is the years published by D.
with lines as (
    select * from {{ ref('stg_finance__tac') }}
    where measure is not null
),

latest_versions as (
    select
        lines.*,
        row_number() over (
            partition by org_code, financial_year, subcode, main_code, row_number order by release_key desc
        ) as recency
    from lines
),

current_lines as (
    select * from latest_versions where recency = 1 and release_change <> 'removed'
),

years as (
    select
        org_code as trust_code,
        financial_year,
        {%- for measure in ['operating_income_patient_care', 'other_operating_income', 'operating_expenses',
                            'operating_surplus', 'surplus_for_year', 'agency_staff_costs', 'total_staff_costs'] %}
        sum(case when measure = '{{ measure }}' then value_gbp_thousands end) as {{ measure }},
        {%- endfor %}
        min(published_on) as published_on,
        max(release_key) as source_release,
        max(source_sha256) as source_sha256
    from current_lines
    group by org_code, financial_year
)

select
    years.trust_code,
    years.financial_year,
    -- the accounts (£000)
    years.operating_income_patient_care + coalesce(years.other_operating_income, 0) as operating_income,
    years.operating_income_patient_care,
    years.other_operating_income,
    years.operating_expenses,
    years.operating_surplus,
    years.surplus_for_year,
    years.agency_staff_costs,
    years.total_staff_costs,
    -- ratios (percent)
    100.0 * years.surplus_for_year
        / nullif(cast(years.operating_income_patient_care + coalesce(years.other_operating_income, 0) as double), 0)
        as income_expenditure_margin_pct,
    100.0 * years.agency_staff_costs / nullif(cast(years.total_staff_costs as double), 0) as agency_share_of_staff_costs_pct,
    'public' as access,
    years.published_on,
    years.source_release,
    years.source_sha256
from years
inner join {{ ref('dim_trust') }} as trusts on trusts.trust_code = years.trust_code
