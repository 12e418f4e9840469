-- In-year finance returns per trust and month, every version. RESTRICTED: national users, the trust itself and its
-- commissioner only (DOMAIN.md, access).
with source as (
    select * from {{ source('finance', 'monthly_returns') }}
),

renamed as (
    select
        -- keys
        org_code,
        cast(period_end as date) as period_end,
        financial_year,
        month_number,
        org_name,
        -- year-to-date figures, £000 (NULL with a reason where not returned)
        ytd_plan_surplus,
        ytd_actual_surplus,
        ytd_operating_income,
        ytd_agency_spend,
        ytd_agency_ceiling,
        cash,
        cash_missing_reason,
        daily_operating_expenditure,
        liquidity_days,
        revenue_available_for_capital_service,
        capital_service,
        -- release (valid period × release)
        _release as release_key,
        cast(_published_on as date) as published_on,
        _change as release_change,
        _source_row as source_row,
        _source_sha256 as source_sha256
    from source
)

select * from renamed
