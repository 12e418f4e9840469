"""`oversight feed-server` as a user starts it: files as published, the CQC API behind its key."""
import re
import subprocess
import sys

import httpx

from simulator import simulate


def test_feed_server_serves_files_and_the_keyed_api(tmp_path):
    root = tmp_path / "mirror"
    simulate("small", 2, root, feeds={"ods", "cqc"})
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "feed-server", "--root", str(root),
                             "--port", "0", "--api-key", "k1"], stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        base = re.search(r"at (http://127\.0\.0\.1:\d+)/", first).group(1)
        assert "CQC API" in proc.stdout.readline()
        assert httpx.get(f"{base}/ods/etr.csv").content == (root / "ods/etr.csv").read_bytes()
        assert httpx.get(f"{base}/cqc/ratings/releases.json").json()["kind"] == "cqc-ratings-sheet"
        assert httpx.get(f"{base}/public/v1/locations").status_code == 401
        page = httpx.get(f"{base}/public/v1/locations?page=1&perPage=5", headers={"Ocp-Apim-Subscription-Key": "k1"})
        envelope = page.json()
        assert page.status_code == 200 and envelope["perPage"] == 5 and len(envelope["locations"]) == 5
        assert envelope["total"] == len(list((root / "cqc/api/locations").glob("*.json")))
        assert envelope["nextPageUri"].endswith("page=2&perPage=5")
        assert httpx.get(f"{base}/no/such/file.csv").status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_unknown_fault_is_a_usage_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", "feed-server", "--root", str(tmp_path),
                           "--faults", "explode=0.5"], capture_output=True, text=True)
    assert proc.returncode == 2 and "unknown fault 'explode'" in proc.stderr
