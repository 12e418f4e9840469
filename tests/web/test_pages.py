"""Each page in headless Chromium over the session's real snapshot: it loads with no console error and no request
leaving this machine (tests/web/conftest.py `Browse`), passes axe-core's accessibility rules with no serious or
critical violation, shows the trusts, levels and figures the API serves for the same visitor, and is screenshot
for review (tests/web/screenshots/). Restricted figures appear only for a signed-in key entitled to them."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from api.keys import KeyStore
from api.settings import Settings
from api.store import AccessDatabase
from tests.web.conftest import SCREENSHOTS, accessible

pytestmark = pytest.mark.slow


def _rows(page, selector: str) -> dict[str, str]:
    """data-trust → data-level of the rows a selector finds."""
    return {code: level for code, (level, _, _) in _trusts(page, selector).items()}


def _trusts(page, selector: str) -> dict[str, tuple[str, str, str]]:
    """data-trust → (data-level, the trust's name as linked, its level badge's text) of the rows a selector finds,
    read in one call (the text as held, also inside a closed <details>)."""
    found = page.eval_on_selector_all(selector, """rows => rows.map(r => [r.dataset.trust, r.dataset.level,
        r.querySelector("th a")?.textContent ?? "", r.querySelector(".level")?.textContent ?? ""])""")
    return {code: (level, name, badge) for code, level, name, badge in found}


def _table(page, chart_id: str) -> list[list[str]]:
    """A chart's "the numbers" table, as the page holds it (cells' text, shown or in a closed <details>)."""
    return [[td.text_content().strip() for td in tr.query_selector_all("td")]
            for tr in page.query_selector_all(f"#{chart_id} table.data tbody tr")]


def _download(page, chart_id: str) -> list[list[str]]:
    with page.expect_download() as info:
        page.click(f"#{chart_id} .chart__download a")
    return list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8"))))


def _scale(site, caller=None) -> list[dict]:
    body = site.api("/failure-scale", caller, limit=1000).json()
    return body["items"]


# --- England -------------------------------------------------------------------------------------------------------

def test_england_at_a_glance_shows_every_trust_at_its_level(site, visitor):
    page = visitor.visit("/", shot="england")
    accessible(page, "/")
    scale = _scale(site)
    assert scale and {r["period"] for r in scale} == {site.latest.isoformat()}
    shown = _trusts(page, "details.all-trusts tr[data-trust]")       # (in a closed <details>: not rendered)
    assert {code: level for code, (level, _, _) in shown.items()} == {r["code"]: str(r["level"]) for r in scale}
    for r in scale:
        _, name, badge = shown[r["code"]]
        assert name == r["name"] and badge.startswith(f"Level {r['level']}")
    failing = {r["code"] for r in scale if r["level"] >= 3}
    assert set(_rows(page, "section[aria-labelledby=failing] > .table-wrap tr[data-trust]")) == failing
    # this month's counts: the picture's text alternative, its table and its CSV all say the API's numbers
    counts = {lv: sum(1 for r in scale if r["level"] == lv) for lv in range(6)}
    assert {int(r[0]): int(r[2]) for r in _table(page, "levels-now")} == counts
    csv_rows = _download(page, "levels-now")
    assert csv_rows[0] == ["level", "level name", "trusts"]
    assert {int(r[0]): int(r[2]) for r in csv_rows[1:]} == counts
    summary = page.inner_text("#levels-now-summary")
    assert f"{len(scale)} trusts on the scale" in summary
    version = site.api("/failure-scale").json()["methodology_version"]
    assert f"methodology {version}" in page.inner_text("main .lede")
    # the freshness table names every feed the API lists
    feeds = site.api("/freshness").json()["items"]
    freshness = page.inner_text("section[aria-labelledby=freshness]")
    assert all(f["feed"] in freshness for f in feeds)
    visitor.watch.check("/ after the download")


def test_every_chart_has_its_numbers_a_text_alternative_and_a_keyboard_stop(site, visitor):
    page = visitor.visit("/")
    figures = page.query_selector_all("figure.chart")
    assert len(figures) >= 5
    for figure in figures:
        chart_id = figure.get_attribute("id")
        assert figure.query_selector(".chart__summary").inner_text().strip(), chart_id
        assert figure.query_selector(".chart__download a").get_attribute("href") == f"?download={chart_id}"
        svg = figure.query_selector("svg")
        if svg is not None:
            assert svg.get_attribute("role") == "img", chart_id
            names = svg.get_attribute("aria-labelledby").split()
            assert names and all(page.locator(f"#{n}").count() == 1 for n in names), chart_id
            picture = figure.query_selector(".chart__picture")
            assert picture.get_attribute("tabindex") == "0", chart_id
            assert picture.get_attribute("aria-describedby") == f"{chart_id}-summary"
    # the keyboard reaches the first chart's picture and opens its table
    page.keyboard.press("Tab")          # skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.closest('figure.chart')?.id + ':' + "
                                     "document.activeElement.tagName"))
        if reached[-1] == "levels-now:SUMMARY":
            break
    assert "levels-now:DIV" in reached and reached[-1] == "levels-now:SUMMARY", reached
    page.keyboard.press("Enter")
    assert page.is_visible("#levels-now table.data")
    # colour is never alone: every level bar carries its hatching, the series their markers and dashes
    assert page.locator("#levels-over-time svg pattern").count() == 6
    assert page.locator("#ratings-trend svg [stroke-dasharray], #ratings-trend svg circle, "
                        "#ratings-trend svg path").count() > 0
    # printed: navigation and forms gone, every table of numbers shown
    page.emulate_media(media="print")
    assert not page.is_visible("header nav")
    assert not page.is_visible(".chart__download")
    assert page.is_visible("#levels-over-time table.data")
    page.pdf(path=str(SCREENSHOTS / "england-print.pdf"))
    visitor.watch.check("/ printed")


# --- health economies ----------------------------------------------------------------------------------------------

def test_economies_list_each_economy_and_its_failing_trusts(site, visitor):
    page = visitor.visit("/economies", shot="economies")
    accessible(page, "/economies")
    economies = site.api("/health-economies", limit=1000).json()["items"]
    scale = _scale(site)
    shown = page.eval_on_selector_all("tr[data-icb]", """rows => rows.map(r => [r.dataset.icb,
        r.querySelector("th a").innerText, [...r.querySelectorAll("td")].map(td => td.innerText.trim())])""")
    assert [code for code, _, _ in shown] == sorted(e["code"] for e in economies)
    by_code = {code: (name, cells) for code, name, cells in shown}
    for economy in economies:
        name, cells = by_code[economy["code"]]
        assert name == economy["name"]
        members = [r for r in scale if r["icb_code"] == economy["code"]]
        assert int(cells[2]) == len(members)
        assert int(cells[3]) == sum(1 for r in members if r["level"] >= 3)
    assert f"methodology {site.api('/failure-scale').json()['methodology_version']}" in page.inner_text("main .lede")
    page.click(f'tr[data-icb="{site.icb}"] th a')
    page.wait_for_load_state("networkidle")
    assert urlsplit(page.url).path == f"/economies/{site.icb}"
    visitor.watch.check("/economies → one economy")


def test_an_economy_shows_its_trusts_their_levels_and_histories(site, visitor):
    page = visitor.visit(f"/economies/{site.icb}", shot="economy")
    accessible(page, f"/economies/{site.icb}")
    view = site.api(f"/health-economies/{site.icb}/view").json()
    assert page.inner_text("h1") == view["name"]
    members = {m["code"]: m for m in view["members"]}
    shown = _trusts(page, "section[aria-labelledby=members] tr[data-trust]")
    assert {code: level for code, (level, _, _) in shown.items()} == {
        code: str(m["level"]) for code, m in members.items()}
    assert {code: name for code, (_, name, _) in shown.items()} == {code: m["name"] for code, m in members.items()}
    assert page.locator("section[aria-labelledby=members] tr[data-trust] th a[href^='/trusts/']").count() == \
        len(members)
    assert f"Methodology {view['methodology_version']}" in page.inner_text("main .lede")
    # each member's latest level in the grid of the last 24 months is its level this month
    grid = {row.query_selector("th a").get_attribute("href").removeprefix("/trusts/"):
            [c.inner_text() for c in row.query_selector_all("td")]
            for row in page.query_selector_all("table.level-grid tbody tr")}
    assert set(grid) == set(members)
    for code, m in members.items():
        history = site.api(f"/trusts/{code}/history", limit=1000).json()["items"]
        assert grid[code][-1] == str(m["level"])
        assert [c for c in grid[code] if c != "–"] == [str(h["level"]) for h in history][-len(grid[code]):]
    # the system against England: England's share failing as the API gives it
    system = _table(page, "system-vs-england")
    assert system[0][0] == "Share of trusts at level 3 or above"
    assert float(system[0][2]) == pytest.approx(100 * view["system"]["england_share_failing"], abs=1e-3)


# --- a trust -------------------------------------------------------------------------------------------------------

def _finance_cells(page) -> list[str]:
    return [c.strip() for c in page.locator("#in-year-finance-figures td").all_inner_texts()]


def test_a_trusts_record_shows_level_criteria_ratings_and_peers(site, visitor):
    page = visitor.visit(f"/trusts/{site.trust}", shot="trust-signed-out")
    accessible(page, f"/trusts/{site.trust}")
    card = site.api(f"/trusts/{site.trust}").json()
    assert page.inner_text("h1").startswith(card["trust"]["name"])
    assert page.get_attribute("#trust-level", "data-level") == str(card["scale"]["level"])
    assert f"Methodology {card['scale']['methodology_version']}" in page.inner_text("#trust-level")
    shown = {row.get_attribute("data-criterion"): row.get_attribute("class").removeprefix("status-")
             for row in page.query_selector_all("table.criteria tr[data-criterion]")}
    assert shown == {c["criterion"]: c["status"] for c in card["scale"]["criteria"]}
    history = site.api(f"/trusts/{site.trust}/history", limit=1000).json()["items"]
    levels = [int(r[1]) for r in _table(page, "level-history")]
    assert levels == [h["level"] for h in history]
    ratings = page.inner_text("section[aria-labelledby=ratings]")
    for r in card["quality"]["trust"]:
        assert r["key_question"] in ratings and r["rating"] in ratings
    assert f"England ({card['england']['trusts']} trusts)" in page.inner_text("section[aria-labelledby=peers]")


def test_a_restricted_figure_only_for_a_signed_in_entitled_key(site, visitor, browser):
    path = f"/trusts/{site.trust}"
    restricted = [c for c in site.api(path).json()["scale"]["criteria"] if c["value_restricted"]]
    assert restricted, "the trust chosen meets a criterion from the in-year finance return"
    own = site.api(path, "provider_own").json()
    score = own["in_year_finance"]["overall_finance_score"]
    assert score is not None and not own["in_year_finance"]["value_restricted"]

    # signed out: the score, the values and the chart are absent, and nothing restricted is audited
    before = site.last_seq()
    page = visitor.visit(path)
    assert page.is_visible("#in-year-finance-restricted")
    assert page.locator("#in-year-finance-figures, #in-year-finance").count() == 0
    for c in restricted:
        assert page.locator(f'tr[data-criterion="{c["criterion"]}"] td.restricted').first.inner_text() == \
               "value restricted"
    assert site.audit(before) == []

    # signed in as the trust: present, equal to what the API gives its key, and audited as the API audits it
    page = visitor.sign_in(site.keys["provider_own"], path)
    assert urlsplit(page.url).path == path
    page.screenshot(path=str(SCREENSHOTS / "trust-signed-in.png"), full_page=True)
    accessible(page, f"{path} signed in")
    assert "provider for " + site.trust in page.inner_text(".who")
    assert page.locator("#in-year-finance-restricted").count() == 0
    assert _finance_cells(page)[0] == str(score)
    own_values = {c["criterion"]: c["value"] for c in own["scale"]["criteria"]}
    for c in restricted:
        cell = page.locator(f'tr[data-criterion="{c["criterion"]}"] td').nth(2).inner_text()
        assert cell != "value restricted" and cell == _cell(own_values[c["criterion"]])
    assert page.locator("#in-year-finance").count() == 1      # its chart, with the numbers a click away
    finance_csv = _download(page, "in-year-finance")
    page_reads = site.audit(before)
    api_finance = site.api(f"{path}/finance", "provider_own", limit=1000).json()["items"]
    assert [int(r[-1]) for r in finance_csv[1:]] == [r["overall_finance_score"] for r in api_finance]
    assert page_reads and {r["key_id"] for r in page_reads} == {site.key_ids["provider_own"]}
    assert {r["path"] for r in page_reads} == {path}
    seq = site.last_seq()
    site.api(path, "provider_own")
    site.api(f"{path}/finance", "provider_own")
    api_reads = site.audit(seq)
    assert {(r["organisation"], r["resource"]) for r in page_reads} == \
           {(r["organisation"], r["resource"]) for r in api_reads}

    # the session cookie: HttpOnly, SameSite, never the key
    cookies = {c["name"]: c for c in visitor.context.cookies()}
    session = cookies["oversight_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert site.keys["provider_own"] not in session["value"]

    # signing out ends it: the figure is gone again
    with page.expect_navigation(wait_until="networkidle"):
        page.click(".who form button[type=submit]")
    visitor.watch.check("sign out")
    page = visitor.visit(path)
    assert page.is_visible("#in-year-finance-restricted") and _finance_cells(page) == []

    # another organisation's key: still restricted
    other = browser.new_context()
    try:
        from tests.web.conftest import Browse
        stranger = Browse(other, site.base)
        page = stranger.sign_in(site.keys["provider_other"], path)
        assert "provider for " + site.other_trust in page.inner_text(".who")
        assert page.is_visible("#in-year-finance-restricted") and _finance_cells(page) == []
        assert page.locator(f'tr[data-criterion="{restricted[0]["criterion"]}"] td.restricted').first.inner_text() \
               == "value restricted"
    finally:
        other.close()


def _cell(value) -> str:
    if value is None:
        return "–"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def test_a_revoked_key_ends_its_session(site, visitor):
    path = f"/trusts/{site.trust}"
    page = visitor.visit(f"/sign-in?next={path}", shot="sign-in")
    accessible(page, "/sign-in")
    page = visitor.sign_in(site.keys["revoked"], path)
    assert _finance_cells(page), "signed in as the trust"
    store = KeyStore(AccessDatabase(Settings(home=site.home).access_db), clock=lambda: datetime.now(timezone.utc))
    store.revoke(site.key_ids["revoked"])
    page = visitor.visit(path)
    assert "Public figures only" in page.inner_text(".who") and _finance_cells(page) == []
    page = visitor.visit(f"/sign-in?next={path}")
    page.fill("#key", site.keys["revoked"])
    page.click("form.sign-in button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert "refused" in page.inner_text(".error-summary")
    assert page.get_attribute("#key", "aria-invalid") == "true"
    page.screenshot(path=str(SCREENSHOTS / "sign-in-refused.png"), full_page=True)
    accessible(page, "/sign-in, a key refused")


# --- methodology, data quality, the API's docs ---------------------------------------------------------------------

def test_methodology_shows_each_version_side_by_side(site, visitor):
    page = visitor.visit("/methodology", shot="methodology")
    accessible(page, "/methodology")
    versions = site.api("/methodology").json()["versions"]
    assert versions
    for table in page.query_selector_all("table.side-by-side"):
        assert [th.inner_text() for th in table.query_selector_all("thead th")][1:] == versions
    for version in versions:
        body = site.api(f"/methodology/{version}").json()
        text = page.inner_text("section[aria-labelledby=thresholds]")
        for t in body["thresholds"]:
            assert t["threshold"].replace("_", " ") in text
        levels = page.inner_text("section[aria-labelledby=levels]")
        assert all(lv["level_name"] in levels and lv["consequence"] in levels for lv in body["levels"])
        assert page.locator(f"#calibration-{version}").count() == 1
    # the what-if form appears only where the API has POST /api/v1/methodology/what-if (issue 13)
    openapi = site.api("/openapi.json").json()
    has_what_if = "post" in openapi["paths"].get("/api/v1/methodology/what-if", {})
    assert page.locator("form.what-if").count() == (1 if has_what_if else 0)


def test_data_quality_shows_each_feed_and_what_was_refused(site, visitor):
    page = visitor.visit("/quality", shot="quality")
    accessible(page, "/quality")
    feeds = site.api("/freshness").json()["items"]
    assert {r.get_attribute("data-feed") for r in page.query_selector_all("tr[data-feed]")} == {f["feed"] for f in feeds}
    report = site.api("/data-quality").json()
    quarantined: dict[str, int] = {}
    for a in report["assets"]:
        if a["asset_kind"] == "feed":
            quarantined[a["asset"]] = quarantined.get(a["asset"], 0) + (a["rows_quarantined"] or 0)
    assert {r[0]: int(r[2]) for r in _download(page, "quarantine")[1:]} == quarantined
    assert "Validations (Great Expectations)" in page.inner_text("main")
    # nothing on the page points at another site (the Data Docs' CDN links included)
    hrefs = page.eval_on_selector_all("[href], [src]", "els => els.map(e => e.href || e.src)")
    assert all(urlsplit(h).hostname in (None, "", "127.0.0.1") for h in hrefs if h.startswith("http")), hrefs


def test_the_api_docs_list_every_operation_offline(site, visitor):
    page = visitor.visit("/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    visitor.watch.check("/docs rendered")
    openapi = site.api("/openapi.json").json()
    operations = {(method.upper(), path) for path, methods in openapi["paths"].items() for method in methods}
    shown = {tuple(pair) for pair in page.eval_on_selector_all(".opblock", """blocks => blocks.map(b => [
        b.querySelector(".opblock-summary-method").innerText,
        b.querySelector(".opblock-summary-path").getAttribute("data-path")])""")}
    assert shown == operations
    page.screenshot(path=str(SCREENSHOTS / "docs.png"), full_page=True)
    accessible(page, "/docs")
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in visitor.watch.requests if u.startswith("http"))
    assert any(u.endswith("/static/swagger/swagger-ui-bundle.js") for u in visitor.watch.requests)


def test_a_page_that_does_not_exist_says_so(site, visitor):
    page = visitor.visit("/trusts/ZZZ", status=404, shot="not-found")
    assert "ZZZ" in page.inner_text("main")
    accessible(page, "/trusts/ZZZ")
