"""Trust finance: annual TAC accounts data and the monthly restricted in-year return (FEEDS.md §4)."""
import pyarrow as pa

from orchestration.feeds.finance import monthly, tac
from orchestration.feeds.spec import MB, ReleaseSeries

TAC = ReleaseSeries(
    "tac", "finance", "tac", tac.parse_tac, pa.schema(tac.SCHEMA),
    "Trust Accounts Consolidation data: each trust's annual accounts by subcode (£000).",
    expected="a TAC workbook (.xlsx)", reference=("ods-trusts",),
    keys=("financial_year", "org_code", "subcode", "main_code", "row_number"), scope="financial_year",
    mirror_dir="finance/tac", partitioned_by="financial year",
    max_bytes=256 * MB)  # a year of every trust's accounts: a few MB

MONTHLY_RETURNS = ReleaseSeries(
    "finance-monthly", "finance", "monthly_returns", monthly.parse_finance_monthly, monthly.SCHEMA,
    "In-year finance returns (restricted): year-to-date plan and actual surplus, income, agency spend and ceiling, "
    "cash and capital service per trust and month.",
    expected="a finance return CSV", restricted=True, reference=("ods-trusts",),
    keys=("period_end", "org_code"), scope="period_end", mirror_dir="finance/monthly", partitioned_by="month",
    max_bytes=16 * MB)  # a month of returns: ~200 rows

FEEDS = (TAC, MONTHLY_RETURNS)
