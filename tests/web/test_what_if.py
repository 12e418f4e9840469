"""The methodology page's what-if form: absent while the API has no `POST /api/v1/methodology/what-if` (issue 13
adds it), and wired to it once it has — here the API's own endpoint where this branch has it, otherwise a stand-in
on an app of its own over the session's snapshot; the request is shaped by the endpoint's own schema."""
from __future__ import annotations

import re

import httpx
import pytest
from pydantic import BaseModel

from api.web.pages import WHAT_IF
from tests.api.support import ServerThread

pytestmark = pytest.mark.slow


class WhatIf(BaseModel):            # the stand-in's request: a version, a month and any thresholds
    methodology_version: str
    period: str | None = None
    thresholds: dict[str, float] = {}


def _has_what_if(site) -> bool:
    return "post" in site.api("/openapi.json").json()["paths"].get(WHAT_IF, {})


def _served(home, asked: list | None = None) -> ServerThread:
    """The app over the session's snapshot on its own loopback port; with `asked`, with a stand-in what-if."""
    server = ServerThread(home, api_rate_limit=0)
    if asked is None:
        return server

    @server.app.post(WHAT_IF)
    def what_if(body: WhatIf) -> dict:
        asked.append(body)
        return {"methodology_version": body.methodology_version, "trusts_moved": 1,
                "trusts": [{"code": "R0M", "published_level": 3, "level": 2}],
                "distribution": [{"level": lv, "trusts": 1} for lv in range(2)]}

    return server


def _client(server) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=60)


def test_no_what_if_form_without_the_endpoint(site):
    if _has_what_if(site):
        pytest.skip("this API has the what-if endpoint: the next test uses it")
    server = _served(site.home)
    with server, _client(server) as client:
        page = client.get("/methodology")
        assert page.status_code == 200 and 'class="what-if"' not in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/sign-in").text).group(1)
        refused = client.post("/methodology/what-if", data={"csrf": token, "threshold:x": "1"})
        assert refused.status_code == 404


def test_the_what_if_form_asks_the_endpoint_and_shows_its_answer(site):
    real = _has_what_if(site)
    asked: list[WhatIf] = []
    server = _served(site.home, None if real else asked)
    with server, _client(server) as client:
        page = client.get("/methodology")
        assert 'class="what-if"' in page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        fields = dict(re.findall(r'name="(threshold:[^"]+)" type="number" step="any" value="([^"]+)"', page.text))
        assert fields, "a field per calibrated threshold, holding its published value"
        name = next(iter(fields))
        version = site.api("/methodology").json()["latest"]
        answer = client.post("/methodology/what-if", data={"csrf": token, "version": version, **fields,
                                                            name: "12.5"})
        assert answer.status_code == 200, answer.text[:1000]
        if real:    # the page shows what the API answers for the same question
            expected = httpx.post(f"{site.base}{WHAT_IF}", timeout=60, json={
                "methodology_version": version,
                "thresholds": {**{k.removeprefix("threshold:"): float(v) for k, v in fields.items()},
                               name.removeprefix("threshold:"): 12.5}}).json()
            assert f"<dd>{expected['trusts_moved']}</dd>" in answer.text
            assert all(t["code"] in answer.text for t in expected["trusts"])
        else:
            assert asked and asked[-1].methodology_version == version
            assert asked[-1].thresholds[name.removeprefix("threshold:")] == 12.5
            assert "published level" in answer.text and "R0M" in answer.text
        forged = client.post("/methodology/what-if", data={"csrf": "forged", name: "1"})
        assert forged.status_code == 403
