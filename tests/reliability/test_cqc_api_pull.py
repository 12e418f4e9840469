"""The CQC API pull against the loopback feed server: key, paging, 429, faults, churn, resume."""
import json
from datetime import date

import pytest

from orchestration.feeds.cqc.api_pull import ApiPull
from orchestration.fetch import FetchError
from simulator.feed_server import API_PREFIX, Faults, make_server, start_in_thread

AS_AT = date(2026, 12, 1)  # the day the files are checked as at (no parser reads the clock)
N_LOCATIONS = 120


def _write_documents(root):
    folder = root / "cqc" / "api" / "locations"
    folder.mkdir(parents=True)
    for n in range(N_LOCATIONS):
        location_id = f"R{n // 4:02d}0{n % 4}"
        (folder / f"{location_id}.json").write_text(json.dumps(
            {"locationId": location_id, "providerId": location_id[:3], "name": f"Site {n}", "postalCode": "AB1 2CD"}))
    (root / "cqc" / "api" / "providers").mkdir()
    return sorted(p.stem for p in folder.glob("*.json"))


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "mirror"
    ids = _write_documents(root)
    servers = []

    def serve(**options):
        server = make_server(root, **options)
        servers.append(server)
        return start_in_thread(server) + API_PREFIX, server

    yield ids, serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _documents(pull):
    from pathlib import Path
    return {i: json.loads(Path(p).read_bytes()) for i, p in pull.progress.documents.items()}


def test_a_clean_pull_pages_through_every_location(served, tmp_path):
    ids, serve = served
    base, server = serve()
    pull = ApiPull(base, "demo-key", tmp_path / "raw", "2026-11-01", per_page=25, backoff_seconds=0)
    progress = pull.run()
    assert sorted(progress.ids) == ids and progress.total == N_LOCATIONS
    assert sorted(progress.documents) == ids and progress.gone == []
    assert server.state.requests == 5 + N_LOCATIONS  # 5 pages of 25 (one pass), one request per document


def test_without_the_key_the_pull_says_so(served, tmp_path):
    _, serve = served
    base, _ = serve()
    with pytest.raises(FetchError, match="refused the subscription key"):
        ApiPull(base, None, tmp_path / "raw", "2026-11-01", per_page=25, backoff_seconds=0).run()


def test_faults_on_give_the_same_documents_as_faults_off(served, tmp_path):
    ids, serve = served
    clean_base, _ = serve()
    clean = ApiPull(clean_base, "demo-key", tmp_path / "raw-clean", "p", per_page=25, backoff_seconds=0)
    clean.run()
    faults = Faults(error=0.1, drop=0.05, truncate=0.05, slow=0.05, slow_seconds=0.05, seed=7)
    faulty_base, faulty_server = serve(faults=faults)
    faulty = ApiPull(faulty_base, "demo-key", tmp_path / "raw-faulty", "p", per_page=25, backoff_seconds=0,
                     attempts=10)
    faulty.run()
    assert _documents(faulty) == _documents(clean)
    assert faulty_server.state.requests > 5 + N_LOCATIONS  # faults happened and were retried


def test_rate_limit_429_with_retry_after_is_respected(served, tmp_path):
    ids, serve = served
    base, server = serve(rate_limit=50.0)
    pull = ApiPull(base, "demo-key", tmp_path / "raw", "p", per_page=60, backoff_seconds=0, attempts=20)
    pull.list_locations()
    assert sorted(pull.progress.ids) == ids


def test_locations_registered_while_paging_are_not_missed(served, tmp_path):
    ids, serve = served
    # two locations registered mid-pull, each at the head of the list: every later page shifts by one
    base, server = serve(faults=Faults(churn=1.0, churn_max=2))
    pull = ApiPull(base, "demo-key", tmp_path / "raw", "p", per_page=25, backoff_seconds=0)
    progress = pull.run()
    listed_now = {item["locationId"] for item in server.state.locations}
    assert set(ids) <= set(progress.ids)  # nothing that existed at the start is missed
    assert server.state.churned == 2 and progress.passes == 2  # the shift was noticed and the list paged again
    assert len(progress.ids) == progress.total == N_LOCATIONS + 2
    assert set(progress.documents) <= listed_now


def test_an_interrupted_pull_resumes_from_its_checkpoint(served, tmp_path):
    ids, serve = served
    base, server = serve()
    first = ApiPull(base, "demo-key", tmp_path / "raw", "2026-11-01", per_page=25, backoff_seconds=0)
    first.list_locations()
    # fetch 40 documents, then "crash"
    first.progress.ids, all_ids = first.progress.ids[:40], first.progress.ids
    first.fetch_documents()
    first.progress.ids = all_ids
    first.progress.save(first.checkpoint)
    served_before = server.state.requests
    resumed = ApiPull(base, "demo-key", tmp_path / "raw", "2026-11-01", per_page=25, backoff_seconds=0)
    assert len(resumed.progress.documents) == 40 and resumed.progress.listing_complete
    resumed.run()
    assert sorted(resumed.progress.documents) == ids
    assert server.state.requests - served_before == N_LOCATIONS - 40  # no page or document fetched twice


def _parsed_rows(pull):
    from pathlib import Path

    from orchestration.feeds.cqc.api_document import parse_api_location
    rows = []
    for location_id, path in sorted(pull.progress.documents.items()):
        result = parse_api_location(Path(path).read_bytes(), f"{location_id}.json", as_at=AS_AT)
        assert result.accepted
        rows += [tuple(sorted((k, str(v)) for k, v in r.items())) for r in result.valid.to_pylist()]
    return sorted(rows)


def test_simulated_api_pulled_with_faults_gives_the_same_rating_rows(tmp_path):
    from simulator import simulate
    root = tmp_path / "mirror"
    simulate("small", 8, root, feeds={"cqc"})
    servers = [make_server(root), make_server(root, faults=Faults(error=0.1, drop=0.05, truncate=0.05, churn=0.0,
                                                                  seed=3), rate_limit=200.0)]
    try:
        pulls = []
        for n, server in enumerate(servers):
            base = start_in_thread(server) + API_PREFIX
            pull = ApiPull(base, "demo-key", tmp_path / f"raw{n}", "2026-10-01", per_page=20, backoff_seconds=0,
                           attempts=12)
            pull.run()
            pulls.append(pull)
        clean, faulty = (_parsed_rows(p) for p in pulls)
        assert len(clean) > 100 and clean == faulty
        assert len(pulls[0].progress.documents) == len(list((root / "cqc/api/locations").glob("*.json")))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
