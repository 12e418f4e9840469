"""`oversight feed-server`: the public feed servers, on loopback, for the simulated files.

Serves every file under the root as it is (the ODS, workforce, finance and CQC spreadsheet files, and each series'
releases.json), and speaks the CQC public API (FEEDS.md §2a) from the documents the simulator wrote under
`cqc/api/`:

    GET /public/v1/locations?page=N&perPage=M      paged list (envelope: total, page, perPage, totalPages, …)
    GET /public/v1/providers?page=N&perPage=M
    GET /public/v1/locations/{id}                  one location, with currentRatings and historicRatings
    GET /public/v1/providers/{id}
    GET /public/v1/providers/{id}/locations

The API needs the `Ocp-Apim-Subscription-Key` header (401 without it) and answers HTTP 429 with `Retry-After` past
its rate limit. Faults can be switched on to test the pulls — each a share of requests, drawn from a seeded stream:
`error` (HTTP 503), `throttle` (HTTP 429 with `Retry-After`), `slow` (a delay before answering: past the client's
timeout, a timeout), `drop` (the connection closes without an answer), `truncate` (a Content-Length promising more
than is sent), `drip` (the body a few bytes at a time: a slow-drip server), `flood` (the file, then gigabytes more,
with no Content-Length: far more than the file can be), and `churn` (a new location appears at the head of the list
after each list page, as when CQC registers a location while you page). `server.state.injected` counts the faults
served, by kind.
"""
from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

API_PREFIX = "/public/v1"
KEY_HEADER = "Ocp-Apim-Subscription-Key"
MAX_PER_PAGE = 1000
FAULT_KINDS = ("error", "throttle", "slow", "drop", "truncate", "drip", "flood", "churn")


@dataclass
class Faults:
    error: float = 0.0
    throttle: float = 0.0
    slow: float = 0.0
    drop: float = 0.0
    truncate: float = 0.0
    drip: float = 0.0
    flood: float = 0.0
    churn: float = 0.0
    slow_seconds: float = 0.5
    retry_after_seconds: int = 0       # what a throttled answer asks for
    drip_bytes: int = 64               # a dripped body: this many bytes at a time …
    drip_seconds: float = 0.05         # … this long apart
    flood_bytes: int = 4 << 30         # a flooded file: this much in all (unless the client stops first)
    churn_max: int | None = None  # at most this many locations registered mid-pull (None: no limit)
    seed: int = 0

    @classmethod
    def parse(cls, text: str | None, seed: int = 0) -> "Faults":
        """`error=0.1,throttle=0.05,drop=0.05,slow=0.05,truncate=0.05,drip=0.02,churn=0.2` (shares of requests)."""
        faults = cls(seed=seed)
        for part in filter(None, (text or "").split(",")):
            name, _, share = part.partition("=")
            if name.strip() not in FAULT_KINDS:
                raise ValueError(f"unknown fault {name!r}: choose from {', '.join(FAULT_KINDS)}")
            setattr(faults, name.strip(), float(share))
        return faults


@dataclass
class _State:
    root: Path
    api_key: str | None
    faults: Faults
    rate_limit: float | None            # requests per second per key; None = no limit
    locations: list[dict] = field(default_factory=list)
    providers: list[dict] = field(default_factory=list)
    by_provider: dict[str, list[dict]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=random.Random)
    last_request: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    injected: Counter = field(default_factory=Counter)   # faults served, by kind
    churned: int = 0
    churned_docs: dict[str, dict] = field(default_factory=dict)  # locations registered while clients paged


def _load_api(state: _State) -> None:
    api = state.root / "cqc" / "api"
    for path in sorted((api / "locations").glob("*.json")):
        doc = json.loads(path.read_text())
        item = {"locationId": doc["locationId"], "locationName": doc.get("name"), "postalCode": doc.get("postalCode")}
        state.locations.append(item)
        state.by_provider.setdefault(doc.get("providerId"), []).append(item)
    for path in sorted((api / "providers").glob("*.json")):
        doc = json.loads(path.read_text())
        state.providers.append({"providerId": doc["providerId"], "providerName": doc.get("name"),
                                "postalCode": doc.get("postalCode")})


class _Handler(BaseHTTPRequestHandler):
    state: _State
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet: tests and `make run` read their own output
        pass

    # --- plumbing -------------------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
              floodable: bool = False) -> None:
        fault = self._draw_fault(floodable and status == 200)
        if fault is not None:
            with self.state.lock:
                self.state.injected[fault] += 1
        if fault == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if fault == "slow":
            time.sleep(self.state.faults.slow_seconds)
        if fault == "flood":
            return self._flood(body, content_type)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        declared = len(body) + (max(1, len(body) // 3) if fault == "truncate" else 0)
        self.send_header("Content-Length", str(declared))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if fault == "truncate":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if fault == "drip":
            return self._drip(body)
        self.wfile.write(body)

    def _drip(self, body: bytes) -> None:
        """A slow-drip server: every byte arrives, a few at a time, each well within a read timeout."""
        faults = self.state.faults
        try:
            for start in range(0, len(body), faults.drip_bytes):
                self.wfile.write(body[start:start + faults.drip_bytes])
                self.wfile.flush()
                time.sleep(faults.drip_seconds)
        except (BrokenPipeError, ConnectionResetError):   # the client gave up waiting: its right
            self.close_connection = True

    def _flood(self, body: bytes, content_type: str) -> None:
        """The file, then more and more of its last line, chunked with no Content-Length, up to `flood_bytes`: what
        a client gets from a misconfigured server, or a hostile one, where it expected kilobytes."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        filler = (body.rstrip(b"\r\n").rsplit(b"\n", 1)[-1] + b"\n") * 1024 or b"x" * 65536
        sent = 0
        try:
            for chunk in itertools.chain([body], itertools.repeat(filler)):
                if sent >= self.state.faults.flood_bytes:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):   # the client stopped reading: what it should do
            pass

    def _json(self, status: int, document, headers: dict | None = None) -> None:
        self._send(status, json.dumps(document).encode(), "application/json; charset=utf-8", headers)

    def _draw_fault(self, floodable: bool) -> str | None:
        faults = self.state.faults
        with self.state.lock:
            draw = self.state.rng.random()
        edge = 0.0
        for name in ("drop", "truncate", "slow", "drip", "flood"):
            edge += getattr(faults, name)
            if draw < edge:
                return name if name != "flood" or floodable else None
        return None

    def _refusal(self, draw: float, api: bool) -> bool:
        """A 503 or a 429 with Retry-After, if the draw says so (answered, and True)."""
        faults = self.state.faults
        if draw < faults.error:
            kind, status, message = "error", 503, "Service temporarily unavailable"
        elif draw < faults.error + faults.throttle:
            kind, status, message = "throttle", 429, "Rate limit is exceeded. Try again later."
        else:
            return False
        retry = {"Retry-After": str(faults.retry_after_seconds)}
        if api:
            self._json(status, {"statusCode": status, "message": message}, retry)
        else:
            self._send(status, message.encode(), "text/plain", retry)
        with self.state.lock:
            self.state.injected[kind] += 1
        return True

    def do_GET(self):  # noqa: N802 (http.server's name)
        with self.state.lock:
            self.state.requests += 1
            error_draw = self.state.rng.random()
        url = urlparse(self.path)
        path = unquote(url.path)
        api = path.startswith(API_PREFIX + "/") or path == API_PREFIX
        if self._refusal(error_draw, api):
            return None
        if api:
            return self._api(path[len(API_PREFIX):], parse_qs(url.query))
        return self._file(path)

    # --- static files ---------------------------------------------------------------------------------------------
    def _file(self, path: str) -> None:
        root = self.state.root.resolve()
        target = (root / path.lstrip("/")).resolve()
        if root not in target.parents or not target.is_file():
            return self._send(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")
        content_type = "application/json" if target.suffix == ".json" else "application/octet-stream"
        self._send(200, target.read_bytes(), content_type, floodable=target.name != "releases.json")

    # --- the CQC API ----------------------------------------------------------------------------------------------
    def _api(self, path: str, query: dict) -> None:
        key = self.headers.get(KEY_HEADER)
        if self.state.api_key is not None and key != self.state.api_key:
            return self._json(401, {"statusCode": 401, "message": "Access denied due to missing or invalid "
                                    "subscription key. Make sure to provide a valid key for an active subscription."})
        wait = self._rate_limited(key or "")
        if wait:
            return self._json(429, {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in "
                                    f"{wait} seconds."}, {"Retry-After": str(wait)})
        parts = [p for p in path.split("/") if p]
        if parts == ["locations"]:
            return self._page("locations", self.state.locations, query)
        if parts == ["providers"]:
            return self._page("providers", self.state.providers, query)
        if len(parts) == 2 and parts[0] in ("locations", "providers"):
            return self._document(parts[0], parts[1])
        if len(parts) == 3 and parts[0] == "providers" and parts[2] == "locations":
            return self._page("locations", self.state.by_provider.get(parts[1], []), query,
                              base=f"/providers/{parts[1]}/locations")
        return self._json(404, {"statusCode": 404, "message": f"Resource not found: {path}"})

    def _rate_limited(self, key: str) -> int:
        if not self.state.rate_limit:
            return 0
        now = time.monotonic()
        with self.state.lock:
            last = self.state.last_request.get(key)
            gap = 1.0 / self.state.rate_limit
            if last is not None and now - last < gap:
                return max(1, round(gap - (now - last)))
            self.state.last_request[key] = now
        return 0

    def _page(self, name: str, items: list[dict], query: dict, base: str | None = None) -> None:
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("perPage", ["1000"])[0])
        except ValueError:
            return self._json(400, {"statusCode": 400, "message": "page and perPage must be whole numbers"})
        if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
            return self._json(400, {"statusCode": 400, "message": f"page ≥ 1 and 1 ≤ perPage ≤ {MAX_PER_PAGE}"})
        with self.state.lock:
            snapshot = list(items)
        total = len(snapshot)
        pages = max(1, -(-total // per_page))
        base = base or f"/{name}"

        def uri(n):
            return f"{API_PREFIX}{base}?page={n}&perPage={per_page}"

        self._json(200, {
            "total": total, "page": page, "perPage": per_page, "totalPages": pages,
            "firstPageUri": uri(1), "nextPageUri": uri(page + 1) if page < pages else None,
            "lastPageUri": uri(pages), name: snapshot[(page - 1) * per_page: page * per_page],
        })
        self._maybe_churn(name, items)

    def _maybe_churn(self, name: str, items: list[dict]) -> None:
        """A location registered while a client pages: it appears at the head, shifting every later page."""
        if name != "locations" or items is not self.state.locations:
            return
        with self.state.lock:
            limit = self.state.faults.churn_max
            if self.state.rng.random() >= self.state.faults.churn or (limit is not None and self.state.churned >= limit):
                return
            self.state.churned += 1
            new_id = f"1-9{self.state.churned:09d}"
            doc = {"locationId": new_id, "providerId": "1-900000000", "name": f"New Care Home {self.state.churned}",
                   "postalCode": "ZZ1 1ZZ", "organisationType": "Location", "type": "Social Care Org",
                   "registrationStatus": "Registered", "currentRatings": {}, "historicRatings": []}
            self.state.churned_docs[new_id] = doc
            self.state.locations.insert(0, {"locationId": new_id, "locationName": doc["name"],
                                            "postalCode": doc["postalCode"]})

    def _document(self, kind: str, identifier: str) -> None:
        if kind == "locations" and identifier in self.state.churned_docs:
            return self._json(200, self.state.churned_docs[identifier])
        path = self.state.root / "cqc" / "api" / kind / f"{identifier}.json"
        if "/" in identifier or ".." in identifier or not path.is_file():
            return self._json(404, {"statusCode": 404, "message": f"{kind[:-1]} {identifier} not found"})
        self._send(200, path.read_bytes(), "application/json; charset=utf-8")


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0, api_key: str | None = "demo-key",
                faults: Faults | None = None, rate_limit: float | None = None) -> ThreadingHTTPServer:
    """A ready server (call serve_forever, or start_in_thread); port 0 picks a free port."""
    faults = faults or Faults()
    state = _State(root=Path(root), api_key=api_key, faults=faults, rate_limit=rate_limit,
                   rng=random.Random(f"feed-server:{faults.seed}"))
    _load_api(state)
    handler = type("FeedServerHandler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    server.state = state
    return server


def start_in_thread(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


__all__ = ["API_PREFIX", "KEY_HEADER", "Faults", "make_server", "start_in_thread"]
