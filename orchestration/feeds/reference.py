"""NHS trusts as ODS knows them (etr.csv: code, open and close dates): what parsers check organisation codes against.

Optional everywhere: `oversight check-feed --ods-trusts etr.csv` supplies it, and ingestion builds it from the ODS
trusts already ingested. Without it, organisation codes are checked for shape only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from orchestration.feeds.report import Issue


@dataclass(frozen=True)
class OdsTrusts:
    source: str                                        # the etr.csv (or Parquet) it was built from
    dates: dict[str, tuple[date | None, date | None]]  # trust code → (open date, close date or None)

    @classmethod
    def from_table(cls, table: pa.Table, source: str) -> "OdsTrusts":
        """From the parsed etr.csv (or the ODS trusts Parquet the ingestion writes): organisation_code, open_date,
        close_date."""
        codes, opened, closed = (table.column(c).to_pylist() for c in ("organisation_code", "open_date", "close_date"))
        return cls(source, {code: (o, c) for code, o, c in zip(codes, opened, closed)})

    def problem(self, code: str, period_start: date, period_end: date, period: str, row: int, column: str,
                trusts_only: bool) -> Issue | None:
        """A code that cannot be a trust reporting for the period `period_start`–`period_end`: the one home of the
        rule (the feeds' suites do not repeat it). A trust can report for a period it was open at some time in: one
        that closed on the period's first day was open that day, and is kept; one closed the day before, or opened
        after the period ended, is not. Feeds of trusts only (finance) also refuse a code ODS does not know; feeds
        mixing trusts with ICBs, CSUs and companies (workforce) cannot, and judge only the trusts ODS lists."""
        known = self.dates.get(code)
        if known is None:
            if trusts_only:
                return Issue(f"{code} is not an NHS trust known to ODS ({self.source})", row, column, code,
                             rule="unknown_organisation")
            return None
        opened, closed = known
        if closed is not None and closed < period_start:
            return Issue(f"trust {code} closed on {closed} (ODS, {self.source}), before {period}", row, column, code,
                         rule="closed_organisation")
        if opened is not None and opened > period_end:
            return Issue(f"trust {code} opened on {opened} (ODS, {self.source}), after {period}", row, column, code,
                         rule="not_yet_open")
        return None
