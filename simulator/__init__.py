"""A deterministic simulator of England's NHS that writes every feed in its real format.

The planted truth (the world model itself) goes to `_truth/`, which the pipeline never reads; tests do.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from simulator.england import England, build_england
from simulator.ods import write_etr, write_icb_names, write_succ
from simulator.workforce import sickness_months, write_sickness

__all__ = ["England", "build_england", "simulate"]


# Monthly releases written by default: enough to show trends, small enough for `make run` to stay quick.
DEFAULT_MONTHS = 5


def simulate(scale: str, seed: int, out: Path, as_of: date = date(2026, 10, 1), economy_strength: float = 0.6,
             months: int = DEFAULT_MONTHS) -> dict:
    england = build_england(scale, seed, as_of, economy_strength)
    out = Path(out)
    files = {
        "ods/etr.csv": write_etr,
        "ods/succ.csv": write_succ,
        "ons/icb_names_codes.csv": write_icb_names,
    }
    for month_end in sickness_months(as_of, months):
        files[f"workforce/sickness/nhs_sickness_absence_{month_end:%Y-%m}.csv"] = (
            lambda world, path, month_end=month_end: write_sickness(world, month_end, path))
    for relative, write in files.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        write(england, out / relative)
    truth = out / "_truth" / "world.json"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_text(json.dumps(england.as_dict(), indent=1, default=str))
    open_trusts = [t for t in england.trusts if t.close_date is None]
    return {
        "scale": scale, "seed": seed, "as_of": as_of.isoformat(), "economy_strength": economy_strength,
        "out": str(out),
        "files": sorted(files) + ["_truth/world.json"],
        "icbs": len(england.icbs),
        "trusts_open": len(open_trusts),
        "trusts_open_outside_england": sum(1 for t in open_trusts if not t.icb),
        "trusts_closed": len(england.trusts) - len(open_trusts),
        "successions": len(england.successions),
    }
