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
        {{ release_columns() }}
    from source
)

select * from renamed
