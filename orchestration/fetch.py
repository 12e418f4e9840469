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

**Validators** say, without the body, whether a file is still what was fetched (`Fetched.validators`, `probe`): a
mirror's file by its size and modification time to the nanosecond; a web server's by a strong ETag, else by its
Last-Modified and Content-Length where Last-Modified is a strong validator (at least a second before the response's
Date: RFC 9110 §8.8.2.2). A file without them has none: it is fetched whole every time.
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
    validators: dict | None = None   # what says, without the body, that the file is still this one


def file_validators(path: Path) -> dict:
    stat = path.stat()
    return {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def http_validators(headers) -> dict | None:
    """A web server's validators of a 200 response, or None where it gave none strong enough to trust."""
    from email.utils import parsedate_to_datetime

    headers = {k.lower(): v for k, v in dict(headers).items()}
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        return {"etag": etag}
    modified, sent, size = headers.get("last-modified"), headers.get("date"), headers.get("content-length")
    if not (modified and sent and size and size.isdigit()) or "content-encoding" in headers:
        return None
    try:
        if (parsedate_to_datetime(sent) - parsedate_to_datetime(modified)).total_seconds() < 1:
            return None    # modified in the second the response was sent: it may change again within that second
    except (TypeError, ValueError):
        return None
    return {"last_modified": modified, "bytes": int(size)}


def probe(url: str, patience: Patience | None = None) -> dict | None:
    """The file's validators now, without its body (a HEAD request on the web), or None where they cannot be had —
    the file must then be fetched to know."""
    patience = patience or Patience()
    scheme = urlparse(url).scheme
    if scheme == "file":
        path = Path(unquote(urlparse(url).path))
        return file_validators(path) if path.is_file() else None
    if scheme in ("http", "https"):
        try:
            with httpx.Client(timeout=httpx.Timeout(patience.timeout_seconds), follow_redirects=True) as client:
                response = client.head(url)
        except httpx.HTTPError:
            return None
        return http_validators(response.headers) if response.status_code == 200 else None
    return None


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
        validators = file_validators(path)   # before the read: a file rewritten meanwhile is fetched again next time
        size = validators["bytes"]
        if size > patience.max_bytes:
            raise TooLarge(f"{url}: {_size(size)}, more than the {_size(patience.max_bytes)} this feed can be: "
                           "refused unread")
        # a mirror's file says when it was published the way a web server would: Last-Modified from its mtime
        from email.utils import formatdate
        return Fetched(url, path.read_bytes(), _now(),
                       {"last-modified": formatdate(validators["mtime_ns"] / 1e9, usegmt=True)}, validators)
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
        return Fetched(url, content, _now(), dict(response.headers), http_validators(response.headers))


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
