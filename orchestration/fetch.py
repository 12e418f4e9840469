"""Pull a feed file from a file:// or http(s):// URL, with retries that respect Retry-After."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

RETRYABLE_STATUS = {429, 500, 502, 503, 504}


class FetchError(RuntimeError):
    """A feed could not be pulled; the message names the URL and what went wrong."""


@dataclass(frozen=True)
class Fetched:
    url: str
    content: bytes
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


def fetch(url: str, *, attempts: int = 5, backoff_seconds: float = 1.0, timeout_seconds: float = 60.0,
          headers: dict[str, str] | None = None) -> Fetched:
    scheme = urlparse(url).scheme
    if scheme == "file":
        path = Path(unquote(urlparse(url).path))
        if not path.is_file():
            raise FetchError(f"{url}: no such file")
        # a mirror's file says when it was published the way a web server would: Last-Modified from its mtime
        from email.utils import formatdate
        return Fetched(url, path.read_bytes(), _now(),
                       {"last-modified": formatdate(path.stat().st_mtime, usegmt=True)})
    if scheme in ("http", "https"):
        return _fetch_http(url, attempts, backoff_seconds, timeout_seconds, headers or {})
    raise FetchError(f"{url}: unsupported scheme {scheme!r} (use file://, http:// or https://)")


def _fetch_http(url, attempts, backoff_seconds, timeout_seconds, headers) -> Fetched:
    last_problem = "no attempt made"
    with httpx.Client(timeout=timeout_seconds, follow_redirects=True, headers=headers) as client:
        for attempt in range(1, attempts + 1):
            wait = backoff_seconds * 2 ** (attempt - 1)
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:  # dropped connections, timeouts, truncated bodies
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    declared = response.headers.get("content-length")
                    if declared is not None and int(declared) != len(response.content):
                        last_problem = f"truncated body: {len(response.content)} of {declared} bytes"
                    else:
                        return Fetched(url, response.content, _now(), dict(response.headers))
                elif response.status_code in RETRYABLE_STATUS:
                    last_problem = f"HTTP {response.status_code}"
                    wait = max(wait, _retry_after_seconds(response.headers.get("retry-after")))
                else:
                    raise FetchError(f"{url}: HTTP {response.status_code} (not retried)")
            if attempt < attempts:
                time.sleep(wait)
    raise FetchError(f"{url}: gave up after {attempts} attempts; last problem: {last_problem}")


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
