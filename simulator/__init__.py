"""A deterministic simulator of England's NHS that writes every feed in its real format.

The planted truth (the world model itself) goes to `_truth/`, which the pipeline never reads; tests do.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from simulator.england import England, build_england
from simulator.ods import SUCC_LAYOUTS, write_etr, write_icb_names, write_succ
from simulator import cqc, finance, staff_groups
from simulator.workforce import sickness_months, write_sickness

__all__ = ["England", "build_england", "simulate", "simulated_with"]


def simulated_with(scale: str, seed: int) -> dict:
    """What a default simulation depends on: its scale, its seed and the simulator's own code. `oversight run` keeps
    this beside the feeds it simulated, and simulates again only when it differs."""
    import hashlib
    code = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        code.update(path.name.encode() + b"\0" + path.read_bytes())
    return {"scale": scale, "seed": seed, "simulator": code.hexdigest()}


def _date_file(path: Path, day: date) -> None:
    """A file's modification time set to noon UTC of `day` (a folder: every file in it)."""
    import os
    from datetime import datetime, time, timezone
    stamp = datetime.combine(day, time(12), timezone.utc).timestamp()
    for target in ([path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]):
        os.utime(target, (stamp, stamp))


def _published_after(month_end: date, months_later: int) -> date:
    """Official statistics come out on the first working days of a later month: the 1st, for simplicity."""
    month = month_end.month + months_later
    return date(month_end.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


# Monthly releases written by default: enough to show trends, small enough for `make run` to stay quick.
DEFAULT_MONTHS = 5
# Cumulative workforce releases (millions of rows each at national scale): enough to show revisions.
STAFF_GROUP_RELEASES = 3
# With all_months: every month since the series began (for benchmarks), not just the recent releases.
SERIES_START = date(2014, 1, 1)
FEEDS = ("ods", "sickness", "staff_group", "cqc", "finance")
TAC_YEARS = 3  # annual accounts written by default; all_months writes every year since 2014-15


def simulate(scale: str, seed: int, out: Path, as_of: date = date(2026, 10, 1), economy_strength: float = 0.6,
             months: int = DEFAULT_MONTHS, all_months: bool = False, feeds: set[str] | None = None,
             finance_link: float = 0.6, with_social_care: bool = False, workforce_from: int | None = None,
             succ_layout: str = SUCC_LAYOUTS[0], size: int = 1) -> dict:
    """Write the feeds (all of FEEDS, or the named subset) under `out`, and the planted truth. `workforce_from` (a
    year) starts the cumulative workforce series later than its default, for runs that do not need its history;
    `succ_layout` writes succ.csv in the older published layout (`ods-succ-5-2019`) instead of the current one;
    `size` N writes N times the organisations (see build_england), for the benchmarks' growth curve."""
    feeds = set(FEEDS) if feeds is None else set(feeds)
    unknown = feeds - set(FEEDS)
    if unknown:
        raise ValueError(f"unknown feeds {sorted(unknown)}: choose from {', '.join(FEEDS)}")
    if succ_layout not in SUCC_LAYOUTS:
        raise ValueError(f"unknown succ.csv layout {succ_layout!r}: choose from {', '.join(SUCC_LAYOUTS)}")
    england = build_england(scale, seed, as_of, economy_strength, size)
    out = Path(out)
    files = {
        "ods/etr.csv": write_etr,
        "ods/succ.csv": lambda world, path: write_succ(world, path, succ_layout),
        "ons/icb_names_codes.csv": write_icb_names,
    } if "ods" in feeds else {}
    series: dict[str, tuple[str, list[dict]]] = {}  # folder → (kind, releases) for each releases.json

    def add_release(kind: str, folder: str, key: str, name: str, published: date, write) -> None:
        files[f"{folder}/{name}"] = write
        series.setdefault(folder, (kind, []))[1].append(
            {"release": key, "file": name, "published": published.isoformat()})

    if all_months:
        months = len(staff_groups.month_ends(SERIES_START, as_of)) - 4  # every month published by as_of
    for month_end in sickness_months(as_of, months) if "sickness" in feeds else []:
        add_release("sickness-absence", "workforce/sickness", f"{month_end:%Y-%m}",
                    f"nhs_sickness_absence_{month_end:%Y-%m}.csv", _published_after(month_end, 4),
                    lambda world, path, month_end=month_end: write_sickness(world, month_end, path))
    for month_end in (staff_groups.staff_group_releases(as_of, min(months, STAFF_GROUP_RELEASES))
                      if "staff_group" in feeds else []):
        archive, _ = staff_groups.release_file_names(month_end)
        history = staff_groups.FULL_HISTORY_START if all_months else staff_groups.HISTORY_START
        if workforce_from is not None:
            history = max(history, date(workforce_from, 1, 31))
        add_release("workforce-staff-group", "workforce/staff_group", f"{month_end:%Y-%m}", archive,
                    _published_after(month_end, 3),
                    lambda world, path, month_end=month_end, history=history:
                    staff_groups.write_staff_group_release(world, month_end, path, history))
    if "cqc" in feeds:
        locations = cqc.build_locations(england, with_social_care)
        releases = cqc.ratings_releases(as_of, months)
        for n, release in enumerate(reversed(releases)):
            # .ods as published, and the release before the newest as .xlsx, so both go through the pipeline
            suffix = ".xlsx" if n == 1 else ".ods"
            add_release("cqc-ratings-sheet", "cqc/ratings", release.isoformat(), cqc.release_name(release, suffix),
                        release, lambda world, path, release=release, fmt=suffix[1:]:
                        cqc.write_ratings_release(world, release, path, fmt, locations))
        # the newest also as the one-sheet CSV pair, for check-feed (not in the release index)
        files[f"cqc/ratings/csv/{cqc.release_name(releases[-1], '.csv')}"] = (
            lambda world, path: cqc.write_ratings_release(world, releases[-1], path, "csv", locations))
        files["cqc/api"] = lambda world, path: cqc.write_api_documents(world, path, locations)
    if "finance" in feeds:
        finance.finance_stress(england, finance_link)  # refuses a strength outside 0–1 before anything is written
        for year in finance.tac_years(as_of, None if all_months else TAC_YEARS):
            add_release("tac", "finance/tac", year, f"TAC_NHS_trusts_{year}.xlsx", finance.tac_published(year),
                        lambda world, path, year=year: finance.write_tac_year(world, year, path, finance_link))
        for month_end in finance.finance_months(as_of, months):
            add_release("finance-monthly", "finance/monthly", f"{month_end:%Y-%m}",
                        f"finance_return_{month_end:%Y-%m}.csv", finance.return_received(month_end),
                        lambda world, path, month_end=month_end:
                        finance.write_finance_month(world, month_end, path, finance_link))
    for relative, write in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        write(england, out / relative)
    # Each file dated as published (what a web server's Last-Modified says): a release by its publication, the
    # current reference files by the day of the simulation. Never the clock: the same seed, the same mirror.
    published = {f"{folder}/{r['file']}": date.fromisoformat(r["published"])
                 for folder, (_, releases) in series.items() for r in releases}
    for relative in files:
        _date_file(out / relative, published.get(relative, as_of))
    # The release index a feed mirror publishes beside each series: what the pipeline discovers releases from.
    for folder, (kind, releases) in series.items():
        (out / folder / "releases.json").write_text(json.dumps(
            {"kind": kind, "releases": sorted(releases, key=lambda r: r["release"])}, indent=1))
    truth = out / "_truth" / "world.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_text(json.dumps(england.as_dict(), indent=1, default=str))
    if "finance" in feeds:
        (truth.parent / "finance.json").write_text(json.dumps(
            {"finance_link": finance_link, "finance_stress": finance.finance_truth(england, finance_link)}, indent=1))
    if "cqc" in feeds:
        (truth.parent / "cqc.json").write_text(json.dumps(cqc.cqc_truth(england, locations), indent=1, default=str))
    open_trusts = [t for t in england.trusts if t.close_date is None]
    return {
        "scale": scale, "seed": seed, "as_of": as_of.isoformat(), "economy_strength": economy_strength,
        "all_months": all_months, "size": size, "finance_link": finance_link, "with_social_care": with_social_care,
        "out": str(out),
        "files": sorted(files) + [f"{folder}/releases.json" for folder in series] + ["_truth/world.json"],
        "icbs": len(england.icbs),
        "trusts_open": len(open_trusts),
        "trusts_open_outside_england": sum(1 for t in open_trusts if not t.icb),
        "trusts_closed": len(england.trusts) - len(open_trusts),
        "successions": len(england.successions),
    }
