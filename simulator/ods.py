"""ODS and ONS reference files, written byte for byte in the published formats (FEEDS.md §1)."""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from simulator.england import England

ETR_WIDTH = 27


def _quoted(fields: list[str]) -> str:
    # etr.csv and succ.csv quote every field, the empty ones included
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


def _ymd(day) -> str:
    return day.strftime("%Y%m%d") if day else ""


def write_etr(england: England, path: Path) -> None:
    lines = []
    for t in england.trusts:
        fields = [""] * ETR_WIDTH
        fields[0], fields[1], fields[2], fields[3] = t.code, t.name.upper(), t.region, t.icb
        fields[4:9] = t.address
        fields[9], fields[10], fields[11] = t.postcode, _ymd(t.open_date), _ymd(t.close_date)
        fields[17], fields[21], fields[23] = t.telephone, "1", t.gor
        lines.append(_quoted(fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


# The two published layouts of succ.csv (FEEDS.md §1, orchestration/feeds/ods/layouts.py). Real releases are now in
# the current one, so the simulator writes it unless asked for the older.
SUCC_LAYOUTS = ("ods-succ-5-2026", "ods-succ-5-2019")


@dataclass(frozen=True)
class _Row:
    old_code: str
    new_code: str
    reason: str
    effective_date: date


def succ_rows(england: England) -> list[_Row]:
    """Every succession the file holds: the world's trust mergers, and what a real file holds besides them (its own
    random stream, so the world is the same with or without them) —
    - other organisation types: CCGs merged, then succeeded by their ICB on 1 July 2022, and a GP practice;
    - a trust split between two successors (a dissolved trust whose services went to two trusts of its ICB);
    - a merger announced ahead: an open trust into another, effective the 1 April after the world's date."""
    rows = [_Row(s.old_code, s.new_code, s.reason, s.effective_date) for s in england.successions]
    rng = random.Random(f"{england.scale}:{england.seed}:succ-file")
    for n, icb in enumerate(rng.sample(england.icbs, k=2)):
        merged = f"{n + 14}{rng.choice('ABCDEFGHJKLMN')}"
        for old in (f"0{n}{rng.choice('ABCDEF')}", f"0{n}{rng.choice('GHJKLM')}"):
            rows.append(_Row(old, merged, "R", date(2019, 4, 1)))
        rows.append(_Row(merged, icb.code, "O", date(2022, 7, 1)))
    rows.append(_Row(f"A8{rng.randint(1000, 4999)}", f"A8{rng.randint(5000, 9999)}", "R", date(2015, 4, 1)))
    succeeded = {r.old_code for r in rows}
    english_open = [t for t in england.trusts if t.icb and t.close_date is None and t.kind != "ambulance"
                    and t.code not in succeeded]
    dissolved = [t for t in england.trusts if t.icb and t.close_date is not None and t.code not in succeeded]
    for trust in rng.sample(dissolved, k=1):
        existing = [t for t in english_open if t.open_date <= trust.close_date]
        same_icb = [t for t in existing if t.icb == trust.icb]
        receiving = same_icb if len(same_icb) >= 2 else existing
        for successor in sorted(rng.sample(receiving, k=2), key=lambda t: t.code):
            rows.append(_Row(trust.code, successor.code, "R", trust.close_date + timedelta(days=1)))
    merging = rng.choice(english_open)
    into = rng.choice([t for t in english_open if t.icb == merging.icb and t is not merging]
                      or [t for t in english_open if t is not merging])
    april = date(england.as_of.year + (england.as_of.month >= 4), 4, 1)
    rows.append(_Row(merging.code, into.code, "R", april))
    return sorted(rows, key=lambda r: (r.old_code, r.new_code))


def write_succ(england: England, path: Path, layout: str = SUCC_LAYOUTS[0]) -> None:
    """succ.csv in one of its published layouts: the current one (reason empty, indicator 1 where the successor has
    itself been succeeded, CRLF) or the older one (reason F/O/R, indicator F further succession / X, LF)."""
    if layout not in SUCC_LAYOUTS:
        raise ValueError(f"unknown succ.csv layout {layout!r}: choose from {', '.join(SUCC_LAYOUTS)}")
    rows = succ_rows(england)
    succeeded = {r.old_code for r in rows}
    current = layout == "ods-succ-5-2026"
    lines = [_quoted([r.old_code, r.new_code, "" if current else r.reason, _ymd(r.effective_date),
                      ("1" if current else "F") if r.new_code in succeeded else ("0" if current else "X")])
             for r in rows]
    eol = "\r\n" if current else "\n"
    path.write_bytes((eol.join(lines) + eol).encode("utf-8"))


def write_icb_names(england: England, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")  # quotes only names that hold a comma, as the ONS does
        writer.writerow(["ICB24CD", "ICB24CDH", "ICB24NM", "ObjectId"])
        for number, icb in enumerate(england.icbs, start=1):
            writer.writerow([icb.ons_code, icb.code, icb.name, number])
