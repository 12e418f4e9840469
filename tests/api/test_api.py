"""The API over real HTTP: filters, paging, problem details, and the read-only, swap-aware snapshot."""
import subprocess
import sys

from api.settings import Settings
from tests.api.support import TRUSTS, ServerThread, build_snapshot

PROBLEM = "application/problem+json"


def codes(response) -> list[str]:
    return [item["code"] for item in response.json()["items"]]


def test_trust_filters(api):
    assert codes(api.get("/organisations", params={"type": "trust"})) == ["RA1", "RB1", "RC1", "RW1", "RX1", "RX2"]
    assert codes(api.get("/organisations", params={"type": "trust", "open": "true"})) == ["RA1", "RB1", "RC1", "RW1"]
    assert codes(api.get("/organisations", params={"type": "trust", "open": "false"})) == ["RX1", "RX2"]
    assert codes(api.get("/organisations", params={"icb": "qaa", "open": "true"})) == ["RA1", "RB1"]
    assert codes(api.get("/organisations", params={"type": "icb"})) == ["QAA", "QBB"]
    everything = api.get("/organisations").json()
    assert everything["total"] == 8 and [i["type"] for i in everything["items"]] == ["trust"] * 6 + ["icb"] * 2


def test_pagination_walks_every_row_once(api):
    first = api.get("/organisations", params={"type": "trust", "limit": 4}).json()
    assert (first["total"], first["limit"], first["offset"]) == (6, 4, 0)
    assert first["next"] == "/api/v1/organisations?type=trust&limit=4&offset=4"
    second = api.get(first["next"].removeprefix("/api/v1")).json()
    assert [i["code"] for i in first["items"] + second["items"]] == ["RA1", "RB1", "RC1", "RW1", "RX1", "RX2"]
    assert second["next"] is None


def test_bad_parameters_are_problems(api):
    for params, needle in [({"type": "hospital"}, "type"), ({"limit": 0}, "limit"), ({"limit": 5000}, "limit"),
                           ({"offset": -1}, "offset"), ({"icb": "QZZ"}, "unknown ICB code 'QZZ'")]:
        response = api.get("/organisations", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith(PROBLEM)
        body = response.json()
        assert body["status"] == 422 and needle in body["detail"] and body["instance"] == "/api/v1/organisations"


def test_organisation_detail(api):
    trust = api.get("/organisations/rx1").json()
    assert trust["code"] == "RX1" and trust["is_open"] is False and trust["close_date"] == "2013-04-01"
    assert (trust["successor_code"], trust["current_successor_code"]) == ("RX2", "RB1")
    assert trust["health_economy"] == {"code": "QAA", "name": "NHS Aylesworth Integrated Care Board"}
    assert api.get("/organisations/RW1").json()["health_economy"] is None
    icb = api.get("/organisations/QBB").json()
    assert icb["type"] == "icb" and icb["ons_code"] == "E54000002"


def test_unknown_codes_are_404_problems(api):
    for path in ("/organisations/NOPE", "/health-economies/QZZ"):
        response = api.get(path)
        assert response.status_code == 404 and response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["title"] == "Not found" and path.rsplit("/", 1)[1] in response.json()["detail"]


def test_health_economies(api):
    listing = api.get("/health-economies").json()
    assert [(e["code"], e["open_trust_count"]) for e in listing["items"]] == [("QAA", 2), ("QBB", 1)]
    detail = api.get("/health-economies/QAA").json()
    assert detail["name"] == "NHS Aylesworth Integrated Care Board"
    assert [t["code"] for t in detail["trusts"]] == ["RA1", "RB1", "RX1", "RX2"]


def test_health_reports_the_publication(api):
    body = api.get("/health").json()
    assert body["status"] == "ok" and body["publication"]["run_id"] == "run-1"
    assert body["publication"]["sources"] == {"ods-trusts": "abc"}


def test_no_snapshot_is_a_503_problem(tmp_path):
    with ServerThread(tmp_path) as client:
        for path in ("/health", "/organisations", "/health-economies/QAA"):
            response = client.get(path)
            assert response.status_code == 503 and response.headers["content-type"].startswith(PROBLEM)
            assert "oversight run" in response.json()["detail"]
    assert not (tmp_path / "warehouse.duckdb").exists()


def test_a_republished_snapshot_is_picked_up_without_restart(api, home):
    assert api.get("/health").json()["publication"]["run_id"] == "run-1"
    assert api.get("/organisations/RC1").status_code == 200
    # the pipeline publishes a new snapshot (atomic replace) while the API holds the old one open
    build_snapshot(Settings(home=home).serving_path, run_id="run-2", trusts=[t for t in TRUSTS if t[0] != "RC1"])
    assert api.get("/health").json()["publication"]["run_id"] == "run-2"
    assert api.get("/organisations/RC1").status_code == 404


def test_the_api_holds_the_snapshot_read_only(api, home):
    assert api.get("/organisations").status_code == 200
    path = Settings(home=home).serving_path
    # DuckDB locks a file opened read-write against every other process, readers included: another process
    # can read it while we serve only because the API holds it read-only
    probe = ("import duckdb, sys; db = duckdb.connect(sys.argv[1], read_only=True); "
             "print(db.execute('SELECT count(*) FROM dim_trust').fetchone()[0])")
    other = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=60)
    assert other.returncode == 0 and other.stdout.strip() == "6", other.stderr
    assert not (home / "warehouse.duckdb").exists()
