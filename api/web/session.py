"""Signing in to the pages with an API key: a server-side session behind an HttpOnly, SameSite cookie, and CSRF
tokens for every form.

A person signs in once with the API key `oversight keys create` gave them; the key is checked exactly as the API
checks it (`KeyStore.verify`: malformed, unknown and revoked keys refused) and never stored or sent back: the
browser holds only a random session token (`oversight_session`: HttpOnly, SameSite=Lax, Secure over HTTPS), of
which the access database keeps the SHA-256 with the key's id. Each request looks the session up and the key again,
so a key revoked ends its sessions at once; signing out ends the session in the database, not only in the browser.
The caller a page acts for is then the key's `Caller`, with the same entitlement, rate limit and audit as an API
request made with that key.

Forms carry a CSRF token checked on every POST: the session's own token when signed in, otherwise a random token
also held in the HttpOnly, SameSite=Strict `oversight_csrf` cookie (double submit; signing in is protected too). A
POST whose Origin is another site is refused whatever it carries.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from fastapi import Request, Response

from api.access import Caller, identify
from api.keys import ApiKey, KeyRefused
from api.problems import Problem

SESSION_COOKIE = "oversight_session"
CSRF_COOKIE = "oversight_csrf"
LIFETIME = timedelta(hours=8)
MAX_FORM_BYTES = 16_384

SCHEMA = """
CREATE TABLE IF NOT EXISTS web_sessions (
    token_sha256 TEXT PRIMARY KEY,
    key_id TEXT NOT NULL REFERENCES api_keys (key_id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX IF NOT EXISTS web_sessions_by_key ON web_sessions (key_id);
"""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    key: ApiKey
    csrf: str
    expires_at: str


class Sessions:
    """Sessions in the API's access database (beside its keys and audit log, shared by every worker)."""

    def __init__(self, keys):
        self.keys = keys                      # api.keys.KeyStore
        self.database = keys.database
        self.clock = keys.clock
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            with self.database.transaction() as db:
                for statement in filter(str.strip, SCHEMA.split(";")):
                    db.execute(statement)
            self._ready = True

    def start(self, presented: str) -> tuple[str, Session]:
        """Check the key as the API does (KeyRefused if it is not a live key) and open a session for it: the
        token for the cookie, and the session."""
        key = self.keys.verify(presented.strip())
        self._ensure()
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        expires = (now + LIFETIME).isoformat(timespec="seconds")
        with self.database.transaction() as db:
            db.execute("INSERT INTO web_sessions (token_sha256, key_id, csrf, created_at, expires_at) "
                       "VALUES (?, ?, ?, ?, ?)", [_digest(token), key.key_id, csrf,
                                                  now.isoformat(timespec="seconds"), expires])
        return token, Session(key, csrf, expires)

    def find(self, token: str | None) -> Session | None:
        """The live session of this token: not ended, not expired, its key not revoked."""
        if not token or len(token) > 100:
            return None
        self._ensure()
        row = self.database.connection().execute(
            "SELECT key_id, csrf, expires_at, ended_at FROM web_sessions WHERE token_sha256 = ?",
            [_digest(token)]).fetchone()
        if row is None or row["ended_at"] is not None:
            return None
        if datetime.fromisoformat(row["expires_at"]) <= self.clock():
            return None
        key = self.keys.get(row["key_id"])
        if key is None or key.revoked:
            return None
        return Session(key, row["csrf"], row["expires_at"])

    def end(self, token: str | None) -> None:
        if not token:
            return
        self._ensure()
        with self.database.transaction() as db:
            db.execute("UPDATE web_sessions SET ended_at = ? WHERE token_sha256 = ? AND ended_at IS NULL",
                       [self.clock().isoformat(timespec="seconds"), _digest(token)])


def sessions(request: Request) -> Sessions:
    state = request.app.state
    if not hasattr(state, "web_sessions"):
        state.web_sessions = Sessions(state.keys)
    return state.web_sessions


@dataclass(frozen=True)
class Visitor:
    """Who is looking at a page: the caller (as the API sees it) and the session, if signed in."""
    caller: Caller
    session: Session | None

    @property
    def signed_in(self) -> bool:
        return self.session is not None

    @property
    def label(self) -> str:
        key = self.caller.key
        if key is None:
            return "not signed in: public figures only"
        org = f" for {key.org_code}" if key.org_code else ""
        return f"{key.role.value}{org}" + (f" ({key.name})" if key.name else "")


def visitor(request: Request) -> Visitor:
    """The signed-in key's caller, or the caller the API would see for this request (an Authorization header, or
    anonymous — refused where the deployment admits no anonymous callers)."""
    session = sessions(request).find(request.cookies.get(SESSION_COOKIE))
    if session is not None:
        address = request.client.host if request.client else "unknown"
        return Visitor(Caller(session.key, address), session)
    return Visitor(identify(request), None)


def count(request: Request, who: Visitor) -> None:
    """The caller's rate limit, counted as the API counts it."""
    state = request.app.state
    wait = state.rate_limiter.retry_after(who.caller.identity)
    if wait is not None:
        raise Problem(429, f"rate limit of {state.settings.api_rate_limit} requests a minute reached",
                      title="Too many requests", headers={"Retry-After": str(max(1, round(wait + 0.5)))})


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def csrf_token(request: Request, who: Visitor, response_cookies: dict) -> str:
    """The token a form on this page must carry: the session's, or the double-submit cookie's (set if missing)."""
    if who.session is not None:
        return who.session.csrf
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
        response_cookies[CSRF_COOKIE] = token
    return token


def set_cookies(request: Request, response: Response, cookies: dict) -> None:
    for name, value in cookies.items():
        if name == CSRF_COOKIE:
            response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request),
                                path="/")
        elif name == SESSION_COOKIE:
            if value is None:
                response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                                       secure=_secure(request))
            else:
                response.set_cookie(SESSION_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request),
                                    path="/", max_age=int(LIFETIME.total_seconds()))


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form, bounded in size (the pages' forms are small)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Problem(413, "form too large", title="Payload too large")
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise Problem(415, "forms are sent as application/x-www-form-urlencoded", title="Unsupported media type")
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def check_csrf(request: Request, who: Visitor, fields: dict[str, str]) -> None:
    """Refuse (403) a POST from another site, or without the token its form was given."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            raise Problem(403, f"a form posted from another site ({origin}) is refused", title="Forbidden")
    elif origin == "null":
        raise Problem(403, "a form posted from an opaque origin is refused", title="Forbidden")
    sent = fields.get("csrf", "")
    expected = who.session.csrf if who.session is not None else request.cookies.get(CSRF_COOKIE, "")
    if not expected or not sent or not hmac.compare_digest(sent, expected):
        raise Problem(403, "the form's security token is missing or out of date: reload the page and try again",
                      title="Forbidden")


def safe_next(target: str | None) -> str:
    """A page of this site to go back to after signing in (never another site)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


__all__ = ["KeyRefused", "Sessions", "Visitor", "visitor", "count", "csrf_token", "set_cookies", "form",
           "check_csrf", "safe_next", "SESSION_COOKIE", "CSRF_COOKIE", "sessions"]
