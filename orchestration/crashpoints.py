"""Named points where the reliability suite kills a run, as a power cut or the OOM killer would (SIGKILL).

`OVERSIGHT_CRASH_AT=<point>[:<n>]` kills the process the n-th time (default the first) it reaches `<point>`:
`download` (a body half read), `parse` (a file parsed, nothing stored), `store` (a release's commit half renamed),
`dbt` (a model built, the build not finished), `publish` (the new snapshot written, not yet swapped in). A process
that leads its own process group (a run started in a session of its own, as the suite starts it) takes the group
with it — dbt's subprocess dies too; any other process kills only itself. Unset, `reached` costs one dict lookup.
"""
from __future__ import annotations

import os
import signal
from collections import Counter

POINTS = ("download", "parse", "store", "dbt", "publish")
VARIABLE = "OVERSIGHT_CRASH_AT"
_reached: Counter = Counter()


def reached(point: str) -> None:
    wanted = os.environ.get(VARIABLE)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _reached[point] += 1
    if _reached[point] != int(nth or 1):
        return
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
