"""Signing in to the pages over plain HTTP (no browser): the cookies' attributes, CSRF on every form, no open
redirect, the key never stored, and the pages' headers (nothing from another site)."""
from __future__ import annotations

import hashlib
import re
import sqlite3

import httpx
import pytest

from api.settings import Settings

pytestmark = pytest.mark.slow


def _client(site) -> httpx.Client:
    return httpx.Client(base_url=site.base, timeout=30, follow_redirects=False)


def _form_token(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


def test_signing_in_sets_an_httponly_samesite_session_and_never_keeps_the_key(site):
    with _client(site) as client:
        form = client.get("/sign-in", params={"next": f"/trusts/{site.trust}"})
        csrf_cookie = _set_cookies(form)["oversight_csrf"].lower()
        assert "httponly" in csrf_cookie and "samesite=strict" in csrf_cookie and "path=/" in csrf_cookie
        token = _form_token(form.text)
        signed = client.post("/sign-in", data={"csrf": token, "next": f"/trusts/{site.trust}",
                                               "key": site.keys["national"]})
        assert signed.status_code == 303 and signed.headers["location"] == f"/trusts/{site.trust}"
        session = _set_cookies(signed)["oversight_session"]
        assert "httponly" in session.lower() and "samesite=lax" in session.lower()
        assert site.keys["national"] not in session
        value = client.cookies["oversight_session"]
    with sqlite3.connect(Settings(home=site.home).access_db) as db:
        stored = db.execute("SELECT token_sha256, key_id FROM web_sessions").fetchall()
        dump = "\n".join(db.iterdump())
    assert (hashlib.sha256(value.encode()).hexdigest(), site.key_ids["national"]) in stored
    assert value not in dump and site.keys["national"] not in dump


@pytest.mark.parametrize("case", ["no token", "wrong token", "another site", "opaque origin"])
def test_a_form_without_its_token_or_from_another_site_is_refused(site, case):
    with _client(site) as client:
        token = _form_token(client.get("/sign-in").text)
        data = {"csrf": {"no token": "", "wrong token": token[::-1]}.get(case, token),
                "key": site.keys["national"], "next": "/"}
        headers = {"another site": {"Origin": "http://evil.example"}, "opaque origin": {"Origin": "null"}}.get(case, {})
        refused = client.post("/sign-in", data=data, headers=headers)
        assert refused.status_code == 403, refused.text[:500]
        assert "oversight_session" not in _set_cookies(refused)


def test_signing_out_needs_the_sessions_token_and_ends_it(site):
    with _client(site) as client:
        token = _form_token(client.get("/sign-in").text)
        client.post("/sign-in", data={"csrf": token, "key": site.keys["national"], "next": "/"})
        page = client.get("/methodology")
        assert "Signed in" in page.text
        assert client.post("/sign-out", data={"csrf": "forged"}).status_code == 403
        assert "Signed in" in client.get("/methodology").text
        ended = client.post("/sign-out", data={"csrf": _form_token(page.text)})
        assert ended.status_code == 303
        assert "Public figures only" in client.get("/methodology").text


@pytest.mark.parametrize("target", ["//evil.example/", "http://evil.example/", "/\\evil.example", "javascript:x"])
def test_signing_in_never_sends_you_to_another_site(site, target):
    with _client(site) as client:
        token = _form_token(client.get("/sign-in").text)
        signed = client.post("/sign-in", data={"csrf": token, "key": site.keys["national"], "next": target})
        assert signed.status_code == 303 and signed.headers["location"] == "/"


def test_a_refused_key_says_why_and_starts_no_session(site):
    with _client(site) as client:
        token = _form_token(client.get("/sign-in").text)
        refused = client.post("/sign-in", data={"csrf": token, "key": "ovk_nope_nope", "next": "/"})
        assert refused.status_code == 401 and "refused" in refused.text
        assert "oversight_session" not in _set_cookies(refused)


@pytest.mark.parametrize("path", ["/", "/economies", "/methodology", "/quality", "/docs", "/sign-in"])
def test_pages_allow_nothing_from_another_site(site, path):
    with _client(site) as client:
        page = client.get(path)
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text), "a page links to another site"


def test_restricted_csv_is_refused_to_the_public_and_audited_for_the_trust(site):
    path = f"/trusts/{site.trust}"
    with _client(site) as client:
        assert client.get(path, params={"download": "in-year-finance"}).status_code == 404   # no such chart for it
        token = _form_token(client.get("/sign-in").text)
        client.post("/sign-in", data={"csrf": token, "key": site.keys["provider_own"], "next": path})
        before = site.last_seq()
        csv = client.get(path, params={"download": "in-year-finance"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["cache-control"] == "private, no-store"
    reads = site.audit(before)
    assert reads and {r["key_id"] for r in reads} == {site.key_ids["provider_own"]}
    assert {r["query"] for r in reads} == {"download=in-year-finance"}
