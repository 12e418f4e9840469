"""The README's reliability table, from what the suite recorded (bench/results/reliability.json).

    python -m bench.reliability_table           print the table
    python -m bench.reliability_table --readme  write it into README.md between its markers

`make test` (tests/reliability, its `ledger`) and `make bench` (bench/crash_sweep.py, and the reliability suite with
every crash point) merge their counts into the JSON: per test, what it threw at the platform (cases), the rows lost
and the errors served. A test that failed records nothing, so a row of the table is only what passed.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = ROOT / "bench" / "results" / "reliability.json"
README = ROOT / "README.md"
START, END = "<!-- reliability-table:start -->", "<!-- reliability-table:end -->"
ORDER = ("faults injected", "hostile files", "crashes survived", "full disk", "requests under load", "fuzz cases",
         "hostile API requests")


def table(entries: dict) -> str:
    totals: dict[str, dict] = defaultdict(lambda: {"cases": 0, "rows_lost": 0, "errors_served": 0, "tests": 0,
                                                   "what": []})
    for entry in entries.values():
        total = totals[entry["category"]]
        total["cases"] += entry["cases"]
        total["rows_lost"] += entry["rows_lost"]
        total["errors_served"] += entry["errors_served"]
        total["tests"] += 1
        if entry["what"] and entry["what"] not in total["what"]:
            total["what"].append(entry["what"])
    lines = ["| What the suite threw at the platform | Cases | Tests | Rows lost | Errors served | Of which |",
             "|---|---:|---:|---:|---:|---|"]
    for category in sorted(totals, key=lambda c: ORDER.index(c) if c in ORDER else len(ORDER)):
        t = totals[category]
        lines.append(f"| {category} | {t['cases']:,} | {t['tests']} | {t['rows_lost']} | {t['errors_served']} | "
                     f"{'; '.join(t['what'])} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    entries = json.loads(SUMMARY.read_text()) if SUMMARY.exists() else {}
    rendered = table(entries)
    if "--readme" not in argv:
        print(rendered)
        return 0
    text = README.read_text()
    if START not in text or END not in text:
        print(f"README.md has no {START} … {END} markers", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{rendered}\n{END}{tail}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
