"""Workforce statistics (NHS England / NHS Digital): staff group and organisation, sickness absence (FEEDS.md §3)."""
from orchestration.feeds.spec import MB, ReleaseSeries
from orchestration.feeds.workforce import sickness, staff_group

SICKNESS = ReleaseSeries(
    "sickness-absence", "workforce", "sickness_absence", sickness.parse_sickness, sickness.SCHEMA,
    "NHS Sickness Absence Rates: FTE days lost and available per organisation and month.",
    expected="a sickness absence CSV", reference=("ods-trusts",),
    keys=("month_end", "org_code"), scope="month_end", mirror_dir="workforce/sickness", partitioned_by="month",
    max_bytes=64 * MB)  # a month: ~300 rows, under 100 kB

STAFF_GROUP = ReleaseSeries(
    "workforce-staff-group", "workforce", "staff_group", staff_group.parse_staff_group, staff_group.SCHEMA,
    "NHS Workforce Statistics, Staff Group and Organisation: FTE and headcount per organisation, staff group and "
    "month; each release carries the whole series and revises its latest months.",
    expected="a workforce statistics zip or CSV", reference=("ods-trusts",),
    keys=("month_end", "org_code", "staff_group", "data_type"), scope="whole", mirror_dir="workforce/staff_group",
    partitioned_by="month",
    max_bytes=2048 * MB)  # cumulative: ~3M rows, 200–600 MB of CSV

FEEDS = (SICKNESS, STAFF_GROUP)
