"""Pull a feed file from a file:// or http(s):// URL: retried where a retry can help, bounded everywhere else.

What a feed server can do, and what a pull does about it (`Patience` says how long and how much):
- **5xx, 429** — retried with exponential backoff, waiting at least what `Retry-After` asks; a server that asks for
  longer than `max_wait_seconds` is not waited for: the pull fails at once, saying so.
- **dropped connections, timeouts, bodies cut short** (fewer bytes than Content-Length) — retried.
- **a slow drip** (bytes trickling in, each within the read timeout) — an attempt has a deadline for its whole body
  (`deadline_seconds`); past it the attempt is abandoned and retried.
- **more bytes than the feed can be** (`max_bytes`, from the feed's declaration: gigabytes where kilobytes were
  expected) — refused as soon as the Content-Length says so or the body passes the limit, never held whole nor
  landed, and not retried (the same file would come again).
- any other status (404, 401…) — not retried.

After its attempts a pull fails with one `FetchError` naming the URL, the attempts and the last problem; nothing of
a failed pull is returned, so nothing of it can be landed or stored.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from orchestration import crashpoints

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
MB = 1 << 20


class FetchError(RuntimeError):
    """A feed could not be pulled; the message names the URL and what went wrong."""


class TooLarge(FetchError):
    """More bytes than the feed's declared limit: refused, not retried."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Patience:
    """How hard a pull tries, and how much it takes. From the environment (`from_env`), for every pull alike."""
    attempts: int = 5
    backoff_seconds: float = 1.0        # before the 2nd attempt; doubled for each one after
    timeout_seconds: float = 60.0       # to connect, and between two reads of the body
    deadline_seconds: float = 900.0     # for one attempt's whole body (a slow drip)
    max_wait_seconds: float = 600.0     # the longest Retry-After waited for
    max_bytes: int = 256 * MB           # the most one file may be (the feed's declaration sets its own)

    ENVIRONMENT = {"attempts": ("OVERSIGHT_FETCH_ATTEMPTS", int),
                   "backoff_seconds": ("OVERSIGHT_FETCH_BACKOFF_SECONDS", float),
                   "timeout_seconds": ("OVERSIGHT_FETCH_TIMEOUT_SECONDS", float),
                   "deadline_seconds": ("OVERSIGHT_FETCH_DEADLINE_SECONDS", float),
                   "max_wait_seconds": ("OVERSIGHT_FETCH_MAX_WAIT_SECONDS", float)}

    @classmethod
    def from_env(cls) -> "Patience":
        given = {name: kind(os.environ[variable]) for name, (variable, kind) in cls.ENVIRONMENT.items()
                 if os.environ.get(variable)}
        return cls(**given)

    def limited(self, max_bytes: int) -> "Patience":
        return replace(self, max_bytes=max_bytes)


def fetch(url: str, patience: Patience | None = None, *, headers: dict[str, str] | None = None,
          **overrides) -> Fetched:
    """The file at `url`, whole, or FetchError. `overrides` replace fields of `patience` (attempts=3, …)."""
    patience = replace(patience or Patience(), **overrides)
    scheme = urlparse(url).scheme
    if scheme == "file":
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            raise FetchError(f"{url}: no such file")
        size = path.stat().st_size
        if size > patience.max_bytes:
            raise TooLarge(f"{url}: {_size(size)}, more than the {_size(patience.max_bytes)} this feed can be: "
                           "refused unread")
        # a mirror's file says when it was published the way a web server would: Last-Modified from its mtime
        from email.utils import formatdate
        return Fetched(url, path.read_bytes(), _now(),
                       {"last-modified": formatdate(path.stat().st_mtime, usegmt=True)})
    if scheme in ("http", "https"):
        return _fetch_http(url, patience, headers or {})
    raise FetchError(f"{url}: unsupported scheme {scheme!r} (use file://, http:// or https://)")


class _Retry(Exception):
    """One attempt failed in a way another attempt may not."""

    def __init__(self, problem: str, wait: float = 0.0):
        super().__init__(problem)
        self.wait = wait


def _fetch_http(url: str, patience: Patience, headers: dict[str, str]) -> Fetched:
    last_problem = "no attempt made"
    timeout = httpx.Timeout(patience.timeout_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=True, headers=headers) as client:
        for attempt in range(1, patience.attempts + 1):
            wait = patience.backoff_seconds * 2 ** (attempt - 1)
            try:
                return _attempt(client, url, patience)
            except _Retry as retry:
                last_problem = str(retry)
                wait = max(wait, retry.wait)
            except httpx.HTTPError as exc:  # dropped connections, timeouts, bodies cut short
                last_problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if attempt < patience.attempts:
                time.sleep(wait)
    raise FetchError(f"{url}: gave up after {patience.attempts} attempts; last problem: {last_problem}")


def _attempt(client: httpx.Client, url: str, patience: Patience) -> Fetched:
    started = time.monotonic()
    with client.stream("GET", url) as response:
        if response.status_code in RETRYABLE_STATUS:
            asked = _retry_after_seconds(response.headers.get("retry-after"))
            if asked > patience.max_wait_seconds:
                raise FetchError(f"{url}: HTTP {response.status_code}, asked to retry after {asked:.0f} s, longer "
                                 f"than the {patience.max_wait_seconds:.0f} s a pull waits: not retried")
            raise _Retry(f"HTTP {response.status_code}", asked)
        if response.status_code != 200:
            raise FetchError(f"{url}: HTTP {response.status_code} (not retried)")
        declared = response.headers.get("content-length")
        declared = int(declared) if declared and declared.isdigit() else None
        if declared is not None and declared > patience.max_bytes:
            raise TooLarge(f"{url}: the server announces {_size(declared)}, more than the "
                           f"{_size(patience.max_bytes)} this feed can be: refused unread")
        chunks, size = [], 0
        for chunk in response.iter_bytes():   # decoded: a gzip-encoded body is counted as it unpacks
            size += len(chunk)
            if size > patience.max_bytes:
                raise TooLarge(f"{url}: more than the {_size(patience.max_bytes)} this feed can be (the server "
                               "sent no Content-Length, or a wrong one): refused, nothing landed")
            chunks.append(chunk)
            crashpoints.reached("download")
            if time.monotonic() - started > patience.deadline_seconds:
                raise _Retry(f"too slow: {_size(size)} in {patience.deadline_seconds:.0f} s, the deadline for one "
                             "attempt")
        content = b"".join(chunks)
        if declared is not None and declared != len(content) and "content-encoding" not in response.headers:
            raise _Retry(f"truncated body: {len(content)} of {declared} bytes")
        return Fetched(url, content, _now(), dict(response.headers))


def _size(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB else f"{n:,} bytes"


def _retry_after_seconds(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:  # an HTTP date
        from email.utils import parsedate_to_datetime
        try:
            return max(0.0, (parsedate_to_datetime(value) - _now()).total_seconds())
        except (TypeError, ValueError):
            return 0.0


def published_on(fetched: Fetched):
    """The date a file was published: its Last-Modified header where the server sent one, else the day it was
    fetched."""
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(fetched.headers["last-modified"]).date()
    except (KeyError, TypeError, ValueError):
        return fetched.fetched_at.date()


def _now() -> datetime:
    return datetime.now(timezone.utc)
