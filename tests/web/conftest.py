"""The pages in a real browser: Debian's headless Chromium (`make browser`), driven by Playwright, against the real
app served by uvicorn on loopback over the session's real snapshot (tests/conftest.py `pipeline`), with API keys of
every role. One browser for the whole session; a fresh context (no cookies) per test.

Every page a test visits is checked as it loads: no console error, no uncaught script error, and no request to
anything but this loopback server — every request the browser makes is recorded, and any other is aborted and
fails the test. A screenshot of each page goes to tests/web/screenshots/ (git-ignored; OVERSIGHT_SCREENSHOTS
elsewhere) for review. `accessible` runs axe-core in the same page: the copy shipped inside the installed
axe-playwright-python package, evaluated in the page (never fetched from anywhere).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import pytest

from api.keys import Role
from api.settings import Settings
from tests.api.conftest import _pick, create_keys
from tests.api.support import ServerThread

CHROMIUM = Path(os.environ.get("OVERSIGHT_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(os.environ.get("OVERSIGHT_SCREENSHOTS", Path(__file__).parent / "screenshots"))
# What Chromium needs to start cleanly on a machine without network: no sandbox (root in CI), no GPU, and none of
# its background connections (they fail on a closed network, and would be requests leaving localhost).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                 "--metrics-recording-only", "--no-default-browser-check", "--disable-features=Translate,MediaRouter,OptimizationHints"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# axe-core's rules for WCAG 2.1 A and AA and its best practices; a serious or critical violation fails the page.
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
             "resultTypes": ["violations"]}
FAILING_IMPACTS = {"serious", "critical"}


def accessible(page, where: str) -> list[dict]:
    """Run axe-core on the page as it is now; fail on any serious or critical violation. Returns the lesser ones."""
    from axe_playwright_python.sync_playwright import Axe
    violations = Axe().run(page, options=AXE_RULES).response["violations"]
    failing = [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s), first "
               f"{v['nodes'][0]['target']}: {v['nodes'][0].get('failureSummary', '')[:300]}"
               for v in violations if v["impact"] in FAILING_IMPACTS]
    assert not failing, f"{where}: accessibility violations:\n" + "\n".join(failing)
    return [v for v in violations if v["impact"] not in FAILING_IMPACTS]


@dataclass(eq=False)
class Site:
    home: Path
    base: str
    db: duckdb.DuckDBPyConnection
    keys: dict[str, str]
    key_ids: dict[str, str]
    latest: object
    trust: str                 # T: restricted criteria met, a finance return, in an economy of ≥ 3 returns
    icb: str
    other_trust: str
    other_icb: str

    def api(self, path: str, caller: str | None = None, **params) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[caller]}"} if caller else {}
        return httpx.get(f"{self.base}/api/v1{path}", params=params, headers=headers, timeout=30)

    def audit(self, after: int = 0) -> list[dict]:
        with sqlite3.connect(Settings(home=self.home).access_db) as db:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM audit_log WHERE seq > ? ORDER BY seq", [after])]

    def last_seq(self) -> int:
        with sqlite3.connect(Settings(home=self.home).access_db) as db:
            return db.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]


@pytest.fixture(scope="session")
def site(pipeline, tmp_path_factory):
    home = tmp_path_factory.mktemp("web-home")
    snapshot = Settings(home=home).serving_path
    snapshot.parent.mkdir(parents=True)
    shutil.copyfile(Settings(home=pipeline["home"]).serving_path, snapshot)
    shutil.copytree(Settings(home=pipeline["home"]).quality_dir, Settings(home=home).quality_dir)
    db = duckdb.connect(str(snapshot), read_only=True)
    [(latest,)] = db.execute("SELECT max(period) FROM fct_trust_failure_scale").fetchall()
    trust, icb, other_trust, other_icb = _pick(db, latest)
    roles = {"national": (Role.national, None), "commissioner_own": (Role.commissioner, icb),
             "provider_own": (Role.provider, trust), "provider_other": (Role.provider, other_trust),
             "revoked": (Role.provider, trust)}
    keys, key_ids = create_keys(home, roles, clock=lambda: datetime.now(timezone.utc))
    server = ServerThread(home, api_rate_limit=0)
    with server:
        yield Site(home, f"http://127.0.0.1:{server.port}", db, keys, key_ids, latest, trust, icb, other_trust,
                   other_icb)
    db.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = (f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium with apt-get (make test runs "
                  "it); it could not here (no apt-get, or not root and no sudo)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        # Playwright gives the browser a fresh, empty --user-data-dir of its own, and starts it headless
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What the browser did on one page: every request, every console error, every uncaught error."""
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def check(self, where: str) -> None:
        assert not self.outside, f"{where}: requests left localhost: {self.outside}"
        assert not self.errors, f"{where}: console errors: {self.errors}"


class Browse:
    """A browser context for one visitor, with the checks every page gets."""

    def __init__(self, context, base: str):
        self.context = context
        self.base = base
        self.watch = Watch()
        context.route("**/*", self._route)
        self.page = context.new_page()
        self.expected_failure: tuple[str, int] | None = None   # (document URL, status) of a page meant to fail
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.watch.errors.append(f"uncaught: {e}"))

    def _console(self, message) -> None:
        if message.type != "error":
            return
        if self.expected_failure is not None:    # Chromium reports a document's own 4xx as a console error
            url, status = self.expected_failure
            if message.location.get("url") == url and f"status of {status}" in message.text:
                return
        self.watch.errors.append(message.text)

    def _route(self, route):
        url = route.request.url
        self.watch.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or (parts.scheme in ("http", "https")
                                                          and parts.hostname in LOCAL_HOSTS):
            return route.continue_()
        self.watch.outside.append(url)
        return route.abort()

    def visit(self, path: str, shot: str | None = None, status: int = 200):
        self.watch.errors.clear()
        self.expected_failure = (self.base + path, status) if status >= 400 else None
        response = self.page.goto(self.base + path, wait_until="networkidle")
        assert response is not None and response.status == status, (path, response and response.status)
        self.watch.check(path)
        if shot:
            SCREENSHOTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
        return self.page

    def sign_in(self, key: str, path: str = "/"):
        page = self.visit(f"/sign-in?next={path}")
        page.fill("#key", key)
        with page.expect_navigation(wait_until="networkidle"):
            page.click("form.sign-in button[type=submit]")
        self.watch.check(f"sign-in then {path}")
        return page


@pytest.fixture
def visitor(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                  accept_downloads=True)
    try:
        yield Browse(context, site.base)
    finally:
        context.close()
