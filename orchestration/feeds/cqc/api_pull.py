"""A resumable pull of the CQC public API (FEEDS.md §2a): page the location list, then fetch every location.

What the real API does and this survives: HTTP 429 with Retry-After and transient 5xx (retried by `fetch`),
dropped connections and truncated bodies (retried), and **pages that change while you page** — a location
registered mid-pull shifts every later page by one, so a single pass can miss one. Ids are collected across
passes until a pass adds nothing and the count reaches the API's `total`.

Progress is checkpointed after every page and every few documents, so a pull that is interrupted resumes
where it stopped instead of starting again. Every page and document is landed as received.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from orchestration.fetch import FetchError, Patience, fetch
from orchestration.files import write_text_atomic
from orchestration.landing import land

KEY_HEADER = "Ocp-Apim-Subscription-Key"
MAX_PASSES = 4
CHECKPOINT_EVERY = 25


@dataclass
class PullProgress:
    pull: str                                                # the pull's key (its date)
    passes: int = 0
    pages_done: list[int] = field(default_factory=list)      # pages of the current pass
    ids: list[str] = field(default_factory=list)             # every location id listed so far, in order seen
    total: int | None = None                                 # the API's total at the last page read
    documents: dict[str, str] = field(default_factory=dict)  # location id → landed file (sha256 name)
    gone: list[str] = field(default_factory=list)            # listed, then 404: deregistered mid-pull
    listing_complete: bool = False

    @classmethod
    def load(cls, path: Path, pull: str) -> "PullProgress":
        if path.exists():
            saved = json.loads(path.read_text())
            if saved.get("pull") == pull:
                return cls(**saved)
        return cls(pull=pull)

    def save(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(self.__dict__))


class ApiPull:
    def __init__(self, base_url: str, api_key: str | None, raw_dir: Path, pull: str, *, per_page: int = 1000,
                 attempts: int = 6, backoff_seconds: float = 0.5, log=None, patience: Patience | None = None):
        self.base = base_url.rstrip("/")
        self.headers = {KEY_HEADER: api_key} if api_key else {}   # the key travels in this header only
        self.raw_dir = raw_dir
        self.per_page = per_page
        self.patience = patience or Patience(attempts=attempts, backoff_seconds=backoff_seconds)
        self.checkpoint = raw_dir / "cqc" / "api_pulls" / f"{pull}.checkpoint.json"
        self.progress = PullProgress.load(self.checkpoint, pull)
        self.log = log

    def _get(self, path: str, **query):
        url = f"{self.base}{path}" + (f"?{urlencode(query)}" if query else "")
        try:
            fetched = fetch(url, self.patience, headers=self.headers)
        except FetchError as exc:
            if "HTTP 401" in str(exc) or "HTTP 403" in str(exc):
                raise FetchError(f"{exc}: the CQC API refused the subscription key (set OVERSIGHT_CQC_API_KEY)") from None
            raise
        return fetched

    def list_locations(self) -> list[str]:
        progress = self.progress
        while not progress.listing_complete:
            before = len(progress.ids)
            page = max(progress.pages_done, default=0) + 1
            while True:
                fetched = self._get("/locations", page=page, perPage=self.per_page)
                land(self.raw_dir, "cqc", "api_location_pages", fetched, release=progress.pull, suffix=".json")
                envelope = _json(fetched.content, fetched.url)
                seen = set(progress.ids)
                progress.ids += [item["locationId"] for item in envelope["locations"] if item["locationId"] not in seen]
                progress.total = int(envelope["total"])
                progress.pages_done.append(page)
                progress.save(self.checkpoint)
                if not envelope.get("nextPageUri") or page >= int(envelope["totalPages"]):
                    break
                page += 1
            progress.passes += 1
            added = len(progress.ids) - before
            # complete when the ids account for the API's total, or another pass found nothing new
            if len(progress.ids) >= progress.total or (progress.passes > 1 and added == 0) \
                    or progress.passes >= MAX_PASSES:
                progress.listing_complete = True
            progress.pages_done = []
            progress.save(self.checkpoint)
        return progress.ids

    def fetch_documents(self) -> dict[str, str]:
        progress = self.progress
        pending = [i for i in progress.ids if i not in progress.documents and i not in progress.gone]
        for n, location_id in enumerate(pending, 1):
            try:
                fetched = self._get(f"/locations/{location_id}")
            except FetchError as exc:
                if "HTTP 404" not in str(exc):
                    progress.save(self.checkpoint)
                    raise
                progress.gone.append(location_id)  # deregistered between the list and now: reported, not an error
                continue
            landed = land(self.raw_dir, "cqc", "api_locations", fetched, release=progress.pull, suffix=".json")
            progress.documents[location_id] = str(landed.path)
            if n % CHECKPOINT_EVERY == 0:
                progress.save(self.checkpoint)
        progress.save(self.checkpoint)
        return progress.documents

    def run(self) -> PullProgress:
        self.list_locations()
        self.fetch_documents()
        return self.progress


def _json(content: bytes, url: str) -> dict:
    try:
        document = json.loads(content)
        document["locations"], document["total"], document["totalPages"]  # noqa: B018 (the envelope's fields)
    except (ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"{url}: not a CQC API page ({type(exc).__name__}: {exc})") from None
    return document


def pull_documents(base_url: str, api_key: str | None, raw_dir: Path, pull: str, log=None,
                   patience: Patience | None = None) -> dict[str, bytes]:
    """Every location document, from the API (http/https: paged and resumable) or from a mirror folder (file://,
    what `oversight simulate` writes under cqc/api/locations). Returns location id → the document's bytes."""
    from urllib.parse import unquote, urlparse

    parsed = urlparse(base_url)
    if parsed.scheme == "file":
        folder = Path(unquote(parsed.path)) / "locations"
        if not folder.is_dir():
            raise FetchError(f"{base_url}: no locations folder of API documents")
        return {p.stem: p.read_bytes() for p in sorted(folder.glob("*.json"))}
    progress = ApiPull(base_url, api_key, raw_dir, pull, log=log, patience=patience).run()
    return {location_id: Path(path).read_bytes() for location_id, path in progress.documents.items()}
