"""NHS organisation reference data (ODS trusts, successors) and the ONS ICB names (FEEDS.md §1).

Three current files, each replaced by its publisher: the platform keeps the latest as Parquet, and every version of
etr.csv as deltas dated by its publication, so a trust's health economy can be read as it was on any date.
"""
import pyarrow as pa

from orchestration.feeds.ods import layouts
from orchestration.feeds.spec import MB, CurrentFile

ICB_NAMES = CurrentFile(
    "icb-names", "ods", "icbs", layouts.parse_icb_names, layouts.ICB_SCHEMA,
    "ONS ICB names and codes: the 42 health economies (ODS code, ONS code, name)",
    expected="the ONS ICB names CSV", mirror_path="ons/icb_names_codes.csv",
    # The ONS Open Geography Portal's download addresses change with each release: set OVERSIGHT_ICB_NAMES_URL.
    production_url="https://geoportal.statistics.gov.uk/datasets/ons::icb-names-and-codes-in-england-december-2024",
    max_bytes=1 * MB)  # 42 rows, a few kilobytes

def _trust_icbs_known(result, references) -> None:
    """Every open trust's ICB must be among the ICB names (check-feed --icb-names; the ones stored, in the pipeline)."""
    if references.icb_names is not None:
        layouts.check_trust_icbs(result, set(references.icb_names.column("icb_ods_code").to_pylist()),
                                 references.icb_names_source)


TRUSTS = CurrentFile(
    "ods-trusts", "ods", "trusts", layouts.parse_etr, layouts.ETR_SCHEMA,
    "NHS trusts from ODS etr.csv (open and closed), parsed to Parquet; every version kept, dated by its "
    "publication (ods/trust_versions)",
    expected="the ODS etr.csv (or etr.zip)", mirror_path="ods/etr.csv",
    production_url="https://files.digital.nhs.uk/assets/ods/current/etr.zip",
    reference=("icb-names",), check_references=_trust_icbs_known, keys=("organisation_code",), keep_versions=True, versions_table="trust_versions",
    versions_description="Every version of etr.csv received, as what changed against the version before it, dated "
                         "by its publication (Last-Modified).",
    max_bytes=16 * MB)  # the real file: 273 rows, about 60 kB

SUCCESSORS = CurrentFile(
    "ods-successors", "ods", "successors", layouts.parse_succ, pa.schema(layouts.SUCC_SCHEMA),
    "ODS successor organisations (succ.csv): mergers and reconfigurations",
    expected="the ODS succ.csv (or succ.zip)", mirror_path="ods/succ.csv",
    production_url="https://files.digital.nhs.uk/assets/ods/current/succ.zip",
    max_bytes=64 * MB)  # the real 2026 file: 11,537 rows, under 1 MB

FEEDS = (ICB_NAMES, TRUSTS, SUCCESSORS)
