"""Bulk over real HTTP: the JSON pages of a list and its CSV, Parquet and Arrow exports hold the same rows in the
same order (read back with pyarrow); format by parameter or Accept; ETag per snapshot, 304, Cache-Control; errors
stay problem details whatever format was asked for."""
import io
import os
import shutil
from datetime import date, datetime

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from api.settings import Settings
from tests.api.support import ServerThread

PROBLEM = "application/problem+json"
MEDIA = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet", "arrow": "application/vnd.apache.arrow.stream"}


def json_rows(marts, path: str, caller=None, limit=7) -> list[dict]:
    """Every item, walking the pages by their `next` links."""
    items, page = [], marts.get(path, caller, params={"limit": limit}).json()
    pages = 1
    while True:
        items += page["items"]
        if page["next"] is None:
            assert len(items) == page["total"]
            assert pages > 1, "the list must span pages"
            return items
        page = marts.get(page["next"].removeprefix("/api/v1"), caller).json()
        pages += 1


def read_export(content: bytes, fmt: str, schema: pa.Schema | None = None) -> pa.Table:
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(content))
    if fmt == "arrow":
        return pa.ipc.open_stream(content).read_all()
    options = pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False)
    return pacsv.read_csv(io.BytesIO(content), convert_options=options)


def as_json(value):
    """A value as the JSON body spells it."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


LISTS = ["/failure-scale/criteria", "/trusts/{trust}/ratings", "/trusts", "/trusts/{trust}/history",
         "/analysis/ratings-trend", "/trusts/{trust}/finance"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("caller", [None, "national"])
def test_exports_equal_the_json_pages(marts, path, caller):
    if path.endswith("/finance") and caller is None:
        pytest.skip("restricted: anonymous callers get 401 (test_access)")
    path = path.format(trust=marts.trust)
    expected = json_rows(marts, path, caller, limit=5)
    parquet = marts.get(path, caller, params={"format": "parquet"})
    schema = read_export(parquet.content, "parquet").schema
    for fmt in ("csv", "parquet", "arrow"):
        response = marts.get(path, caller, params={"format": fmt})
        assert response.status_code == 200 and response.headers["content-type"].startswith(MEDIA[fmt])
        assert response.headers["content-disposition"].startswith("attachment")
        table = read_export(response.content, fmt, schema)
        assert table.column_names == list(expected[0])
        rows = [{k: as_json(v) for k, v in row.items()} for row in table.to_pylist()]
        assert rows == expected, fmt


def test_restricted_values_are_masked_alike_in_json_and_exports(marts):
    """The same masking in every format: the anonymous export of the criteria says "value restricted" exactly where
    its JSON does, and the national one shows the values."""
    path = f"/failure-scale/criteria?trust={marts.trust}"
    for caller, masked in ((None, True), ("national", False)):
        items = marts.get(path, caller).json()["items"]
        restricted = [i for i in items if i["data_access"] == "restricted"]
        assert restricted and all(i["value_restricted"] is masked for i in restricted)
        for fmt in ("csv", "parquet", "arrow"):
            table = read_export(marts.get(path, caller, params={"format": fmt}).content, fmt)
            exported = [r for r in table.to_pylist() if r["data_access"] == "restricted"]
            assert [(r["criterion"], r["value"], r["value_restricted"]) for r in exported] == \
                   [(i["criterion"], i["value"], i["value_restricted"]) for i in restricted]


def test_accept_header_chooses_the_format(marts):
    for fmt, media in MEDIA.items():
        by_parameter = marts.get("/trusts", params={"format": fmt})
        by_accept = marts.get("/trusts", headers={"Accept": media})
        assert by_accept.headers["content-type"].startswith(media)
        assert by_accept.content == by_parameter.content
    assert marts.get("/trusts", headers={"Accept": "text/html,*/*"}).headers["content-type"] == "application/json"


def test_etag_per_snapshot_and_304(marts):
    first = marts.get("/failure-scale")
    etag = first.headers["etag"]
    snapshot = first.json()["snapshot"]["id"]
    assert etag.startswith(f'"{snapshot}.') and first.headers["cache-control"] == "public, max-age=60"
    again = marts.get("/failure-scale", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert marts.get("/failure-scale", params={"format": "csv"}).headers["etag"] != etag
    assert marts.get("/failure-scale", "national").headers["cache-control"] == "private, max-age=60"
    assert marts.get("/failure-scale", headers={"If-None-Match": '"something-else"'}).status_code == 200
    # an answer carrying restricted data is never stored by a cache, and each read of it is audited: a 304 is not
    # a read (nothing is sent), so it adds no record
    restricted = marts.get(f"/trusts/{marts.trust}/finance", "national")
    assert restricted.headers["cache-control"] == "private, no-store"
    before = len(marts.audit())
    assert marts.get(f"/trusts/{marts.trust}/finance", "national",
                     headers={"If-None-Match": restricted.headers["etag"]}).status_code == 304
    assert len(marts.audit()) == before


def test_a_new_snapshot_gives_new_etags(marts, tmp_path):
    home = marts.new_home(tmp_path / "home")
    served = Settings(home=home).serving_path
    with ServerThread(home) as api:
        before = api.get("/failure-scale")
        replacement = served.with_name(".next.duckdb")
        shutil.copyfile(served, replacement)
        with duckdb.connect(str(replacement)) as db:
            db.execute("UPDATE publication SET run_id = 'republished'")
        os.replace(replacement, served)
        after = api.get("/failure-scale", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.json()["snapshot"]["id"] == "republished"
    assert after.headers["etag"].startswith('"republished.')
    assert after.json()["items"] == before.json()["items"]


@pytest.mark.parametrize("path, status", [
    ("/trusts?format=csv&level_min=9", 422),
    ("/trusts/NOPE/ratings?format=parquet", 404),
    ("/failure-scale?format=arrow&period=2001-01", 404),
    ("/failure-scale?format=xml", 422),
    ("/methodology/v1?format=csv", 406),
])
def test_errors_stay_problem_details_whatever_the_format(marts, path, status):
    response = marts.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == status


def test_pages_are_stable_and_complete(marts):
    """Paging by offset gives every row once, in the order of the whole list (ties broken by code)."""
    whole = marts.get("/trusts", params={"sort": "-level", "limit": 1000}).json()["items"]
    paged = json_rows(marts, "/trusts?sort=-level", limit=4)
    assert paged == whole
    levels = [(-t["level"], t["code"]) for t in whole]
    assert levels == sorted(levels)
