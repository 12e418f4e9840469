"""Every file the simulator writes passes `oversight check-feed` for its kind, every row accounted for."""
import json
import subprocess
import sys
from datetime import date

import pytest

from orchestration.feeds.catalog import CURRENT_FILES, FEEDS, SERIES
from simulator import simulate

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    simulate("small", 11, root, with_social_care=True)
    return root


def _files(root):
    yield from ((kind, root / feed.mirror_path) for kind, feed in CURRENT_FILES.items())
    for index in sorted(root.rglob("releases.json")):
        listing = json.loads(index.read_text())
        for release in listing["releases"]:
            yield listing["kind"], index.parent / release["file"]
    yield from (("cqc-ratings-sheet", path) for path in sorted(root.glob("cqc/ratings/csv/*.csv")))
    yield from (("cqc-api-location", path) for path in sorted(root.glob("cqc/api/locations/*.json")))


def test_every_release_feed_and_reference_file_is_written(mirror):
    kinds = {kind for kind, _ in _files(mirror)}
    assert kinds == set(CURRENT_FILES) | set(SERIES)
    assert set(FEEDS) == kinds


def test_every_simulated_file_passes_its_parser(mirror):
    for kind, path in _files(mirror):
        result = FEEDS[kind].parse(path.read_bytes(), str(path), as_at=AS_AT)
        report = result.report()
        assert report["accepted"] and report["rows"] == report["rows_valid"] > 0, (kind, path, report["errors"][:3])


def test_check_feed_command_accepts_a_simulated_release(mirror):
    kind, path = next((k, p) for k, p in _files(mirror) if k == "workforce-staff-group")
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "check-feed", kind, str(path)],
                          capture_output=True, text=True)
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["rows"] == report["rows_valid"] + report["rows_quarantined"] > 0
    assert report["layout"].startswith("nhs-workforce-staff-group-")
