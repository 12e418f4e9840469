"""ODS and ONS reference files, written byte for byte in the published formats (FEEDS.md §1)."""
from __future__ import annotations

import csv
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


def write_succ(england: England, path: Path) -> None:
    lines = [_quoted([s.old_code, s.new_code, s.reason, _ymd(s.effective_date), s.indicator])
             for s in england.successions]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


def write_icb_names(england: England, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")  # quotes only names that hold a comma, as the ONS does
        writer.writerow(["ICB24CD", "ICB24CDH", "ICB24NM", "ObjectId"])
        for number, icb in enumerate(england.icbs, start=1):
            writer.writerow([icb.ons_code, icb.code, icb.name, number])
