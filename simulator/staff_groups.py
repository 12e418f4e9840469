"""NHS Workforce Statistics, "Staff Group and Organisation" CSV (FEEDS.md §3a), as published monthly.

Each release is **cumulative**: every month from the start of the series to the release month, a few million
rows at national scale. The latest three months of a release are provisional: the next releases revise them
(late returns to the staff record), deterministically, so tests know which figures moved.
Written with pyarrow, column by column: a national release is millions of rows.
"""
from __future__ import annotations

import calendar
import random
import zipfile
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from simulator.archives import entry
from simulator.england import England
from simulator.workforce import NATIONAL_BODIES, QZZ, _ics_name, _title

# (sort order, staff group, components it sums): aggregates are the sum of their components, as published.
STAFF_GROUPS = [
    ("01", "Total", ["02", "18", "22", "27", "28"]),
    ("02", "Professionally qualified clinical staff", ["03", "14", "15", "16", "17"]),
    ("03", "HCHS doctors", ["04", "05", "06", "07", "08", "09", "10", "11", "12", "13"]),
    ("04", "Consultant", []),
    ("05", "Associate Specialist", []),
    ("06", "Specialty Doctor", []),
    ("07", "Staff Grade", []),
    ("08", "Specialty Registrar", []),
    ("09", "Core Training", []),
    ("10", "Foundation Doctor Year 2", []),
    ("11", "Foundation Doctor Year 1", []),
    ("12", "Hospital Practitioner / Clinical Assistant", []),
    ("13", "Other and Local HCHS Doctor Grades", []),
    ("14", "Nurses & health visitors", []),
    ("15", "Midwives", []),
    ("16", "Ambulance staff", []),
    ("17", "Scientific, therapeutic & technical staff", []),
    ("18", "Support to clinical staff", ["19", "20", "21"]),
    ("19", "Support to doctors, nurses & midwives", []),
    ("20", "Support to ambulance staff", []),
    ("21", "Support to ST&T staff", []),
    ("22", "NHS infrastructure support", ["23", "24", "25", "26"]),
    ("23", "Central functions", []),
    ("24", "Hotel, property & estates", []),
    ("25", "Senior managers", []),
    ("26", "Managers", []),
    ("27", "Other staff or those with unknown classification", []),
    ("28", "Unknown classification", []),
]
LEAVES = [code for code, _, parts in STAFF_GROUPS if not parts]
# Share of FTE in each leaf group by kind of organisation (the rest of a row sums to 1).
_DOCTORS = {"04": .38, "05": .02, "06": .10, "07": .01, "08": .27, "09": .08, "10": .06, "11": .06, "12": .01,
            "13": .01}
_SHARES = {
    "acute": {"doctors": .16, "14": .30, "15": .035, "16": 0, "17": .15, "19": .15, "20": 0, "21": .05, "23": .07,
              "24": .055, "25": .006, "26": .03, "27": .003, "28": .001},
    "mental_health": {"doctors": .07, "14": .33, "15": 0, "16": 0, "17": .14, "19": .23, "20": 0, "21": .04,
                      "23": .09, "24": .05, "25": .008, "26": .04, "27": .004, "28": .001},
    "community": {"doctors": .03, "14": .35, "15": .01, "16": 0, "17": .22, "19": .17, "20": 0, "21": .04,
                  "23": .11, "24": .03, "25": .008, "26": .03, "27": .004, "28": .001},
    "ambulance": {"doctors": 0, "14": .02, "15": 0, "16": .50, "17": .01, "19": 0, "20": .30, "21": 0, "23": .10,
                  "24": .03, "25": .006, "26": .03, "27": .003, "28": .001},
    "other": {"doctors": 0, "14": .05, "15": 0, "16": 0, "17": .05, "19": 0, "20": 0, "21": 0, "23": .70,
              "24": .05, "25": .03, "26": .11, "27": .01, "28": .0},
}

# The published layout, and a later (simulated) one in which the health-economy columns are renamed for ICBs
# and the value column is named for what it holds. Releases of months from LAYOUT_CHANGE on use the new one.
COLUMNS_2019 = ["Date", "NHSE_Region_Code", "NHSE_Region_Name", "ICS code", "ICS name", "Org Code", "Org Name",
                "Cluster Group", "Benchmark Group", "Staff Group Sort Order", "Staff Group", "Data Type", "Total"]
COLUMNS_2026 = ["Date", "NHSE_Region_Code", "NHSE_Region_Name", "ICB code", "ICB name", "Org Code", "Org Name",
                "Cluster Group", "Benchmark Group", "Staff Group Sort Order", "Staff Group", "Data Type", "FTE/HC"]
LAYOUT_CHANGE = date(2026, 4, 30)
HISTORY_START = date(2014, 1, 31)        # default: the series from 2014 (make run stays quick)
FULL_HISTORY_START = date(2009, 9, 30)   # the real series' start, for benchmarks
PROVISIONAL_MONTHS = 3                   # the latest months of a release are revised by the next ones
CLUSTER = {"acute": ("Acute", "Acute - Large"), "mental_health": ("Mental Health", "Mental Health and Learning Disability"),
           "community": ("Community", "Community"), "ambulance": ("Ambulance", "Ambulance"),
           "other": ("Other", "Other")}
# Other NHS organisations that report staff: support bodies, hosted services (invented names, real patterns).
SUPPORT_BODIES = 24
_CALENDAR = range(2009 * 12 + 1, 2035 * 12 + 1)   # months (as year × 12 + month) noise is drawn for
_CALENDAR_START = _CALENDAR.start
_TREND_ORIGIN = 2026 * 12 + 1


def month_ends(start: date, end: date) -> list[date]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def staff_group_releases(as_of: date, count: int) -> list[date]:
    """Month ends of the latest `count` releases published by as_of (about three months after the month)."""
    latest = month_ends(date(as_of.year - 1, 1, 1), as_of)[-4]
    return month_ends(date(2000, 1, 1), latest)[-count:]


def release_file_names(month_end: date) -> tuple[str, str]:
    label = f"{calendar.month_name[month_end.month]} {month_end.year}"
    return (f"NHS Workforce Statistics, {label} csv files.zip",
            f"NHS Workforce Statistics, {label} Staff Group and Organisation.csv")


def _organisations(world: England) -> list[dict]:
    regions = {r.code: r for r in world.regions}
    icbs = {i.code: i for i in world.icbs}
    rng = random.Random(f"{world.scale}:{world.seed}:staff-orgs")
    orgs = []
    for trust in world.trusts:
        if not trust.icb:
            continue
        region, icb = regions[trust.region], icbs[trust.icb]
        orgs.append({"code": trust.code, "name": _title(trust.name), "kind": trust.kind, "fte": trust.fte,
                     "region": (region.code, region.name), "icb": (icb.code, _ics_name(icb.name)),
                     "open": trust.open_date, "close": trust.close_date})
    for icb in world.icbs:
        region = regions[icb.region]
        orgs.append({"code": icb.code, "name": f"NHS {_ics_name(icb.name)} ICB", "kind": "other",
                     "fte": rng.uniform(300, 700), "region": (region.code, region.name),
                     "icb": (icb.code, _ics_name(icb.name)), "open": date(2000, 1, 1), "close": None})
    for code, name, _, fte in NATIONAL_BODIES:
        orgs.append({"code": code, "name": name, "kind": "other", "fte": fte, "region": QZZ, "icb": QZZ,
                     "open": date(2000, 1, 1), "close": None})
    support = SUPPORT_BODIES if world.scale == "national" else 2
    for n in range(support):
        orgs.append({"code": f"T{1500 + n * 7}", "name": f"NHS Support Service {n + 1}, Hosted", "kind": "other",
                     "fte": rng.uniform(100, 1500), "region": QZZ, "icb": QZZ, "open": date(2000, 1, 1),
                     "close": None})
    return orgs


def staff_group_table(world: England, month_end: date, history_start: date = HISTORY_START) -> pa.Table:
    """The release for `month_end`: every month from history_start, as that release publishes it."""
    months = month_ends(history_start, month_end)
    orgs = _organisations(world)
    shares = {}
    for kind, share in _SHARES.items():
        leaf = np.array([share["doctors"] * _DOCTORS[c] if c in _DOCTORS else share[c] for c in LEAVES])
        shares[kind] = leaf / leaf.sum()
    n_months = len(months)
    serial = np.array([m.year * 12 + m.month for m in months])
    release_serial = month_end.year * 12 + month_end.month
    org_rows = []
    for o_index, org in enumerate(orgs):
        alive = np.array([org["open"] <= m and (org["close"] is None or org["close"] > m) for m in months])
        if not alive.any():
            continue
        seed = zlib.crc32(f"{world.scale}:{world.seed}:staff:{org['code']}".encode())
        rng = np.random.default_rng(seed)
        # month-to-month noise drawn on a fixed calendar, so a month's figure is the same in every release
        noise = rng.normal(1, 0.01, (len(_CALENDAR), len(LEAVES)))[serial - _CALENDAR_START]
        hc_ratio = rng.uniform(1.08, 1.25, len(LEAVES))
        revised_org = rng.random() < 0.2
        # a slow trend: the NHS grew about 2% a year
        trend = org["fte"] * (1 + 0.02 * (serial - _TREND_ORIGIN) / 12).clip(0.5)
        leaf_fte = trend[:, None] * shares[org["kind"]][None, :] * noise
        # provisional months: revised a little by each later release (late returns), for about one org in five
        age = release_serial - serial
        if revised_org:
            revision_rng = np.random.default_rng([seed, release_serial])
            factor = 1 + revision_rng.normal(0, 0.01, (n_months, len(LEAVES))) * (age < PROVISIONAL_MONTHS)[:, None]
            leaf_fte = leaf_fte * factor
        leaf_fte = np.round(np.clip(leaf_fte, 0, None), 5)
        leaf_hc = np.ceil(leaf_fte * hc_ratio[None, :])
        by_code = {c: (leaf_fte[:, i], leaf_hc[:, i]) for i, c in enumerate(LEAVES)}
        for code, _, parts in reversed(STAFF_GROUPS):  # components before their aggregates
            if parts:
                by_code[code] = (sum(by_code[p][0] for p in parts), sum(by_code[p][1] for p in parts))
        live = np.flatnonzero(alive)
        org_rows.append((o_index, live, by_code))
    # rows as integer codes first (month, organisation, group, data type), sorted as published — by date, then
    # organisation, then staff group — and only then turned into text, column by column
    month_parts, org_parts, group_parts, type_parts, value_parts = [], [], [], [], []
    for o_index, live, by_code in org_rows:
        for g_index, (code, _, _) in enumerate(STAFF_GROUPS):
            for t_index, values in enumerate(by_code[code]):
                month_parts.append(live)
                org_parts.append(np.full(len(live), o_index, dtype=np.int32))
                group_parts.append(np.full(len(live), g_index, dtype=np.int32))
                type_parts.append(np.full(len(live), t_index, dtype=np.int32))
                value_parts.append(values[live])
    month_index, org_index, group_index, type_index = (np.concatenate(p).astype(np.int32) for p in
                                                       (month_parts, org_parts, group_parts, type_parts))
    values = np.concatenate(value_parts)
    org_rank = np.argsort(np.argsort([o["code"] for o in orgs], kind="stable"), kind="stable").astype(np.int32)
    order = np.lexsort((type_index, group_index, org_rank[org_index], month_index))

    def text(index: np.ndarray, labels: list[str]) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(index[order]), pa.array(labels)).cast(pa.string())

    header = COLUMNS_2026 if month_end >= LAYOUT_CHANGE else COLUMNS_2019
    by_org = lambda field: text(org_index, [field(o) for o in orgs])  # noqa: E731
    return pa.table([
        text(month_index, [m.strftime("%Y-%m-%d") for m in months]),
        by_org(lambda o: o["region"][0]), by_org(lambda o: o["region"][1]), by_org(lambda o: o["icb"][0]),
        by_org(lambda o: o["icb"][1]), by_org(lambda o: o["code"]), by_org(lambda o: o["name"]),
        by_org(lambda o: CLUSTER[o["kind"]][0]), by_org(lambda o: CLUSTER[o["kind"]][1]),
        text(group_index, [c for c, _, _ in STAFF_GROUPS]), text(group_index, [n for _, n, _ in STAFF_GROUPS]),
        text(type_index, ["FTE", "HC"]), pa.array(values[order], pa.float64()),
    ], names=header)


def write_staff_group_release(world: England, month_end: date, path: Path,
                              history_start: date = HISTORY_START) -> int:
    """The zip as published, holding the one CSV (CRLF, quoted where needed). Returns the rows written."""
    table = staff_group_table(world, month_end, history_start)
    _, member = release_file_names(month_end)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(entry(member, month_end, zipfile.ZIP_DEFLATED, 1), "w", force_zip64=True) as csv_file:  # streamed: no copy of the text in memory
            pacsv.write_csv(table, csv_file, pacsv.WriteOptions(eol="\r\n", quoting_style="needed",
                                                                quoting_header="none"))
    return table.num_rows


def revised_keys(world: England, earlier: date, later: date, history_start: date = HISTORY_START) -> set[tuple]:
    """Truth for tests: the (month, org, group, type) figures `later` publishes differently from `earlier`."""
    a, b = (staff_group_table(world, m, history_start) for m in (earlier, later))
    key = lambda t: zip(*(t.column(i).to_pylist() for i in (0, 5, 9, 11)))  # noqa: E731
    before = dict(zip(key(a), a.column(12).to_pylist()))
    return {k for k, v in zip(key(b), b.column(12).to_pylist()) if k in before and before[k] != v}
