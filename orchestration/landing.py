"""Raw landing: the bytes exactly as received, named by content hash, with a manifest of every pull.

Re-landing the same bytes is a no-op for the file (idempotent) but still records the pull in the manifest.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from orchestration.fetch import Fetched
from orchestration.files import append_line, write_bytes_atomic


@dataclass(frozen=True)
class Landed:
    path: Path
    sha256: str
    size: int
    source_url: str
    fetched_at: str
    already_present: bool


def land(raw_dir: Path, feed: str, name: str, fetched: Fetched, release: str | None = None,
         suffix: str | None = None) -> Landed:
    digest = hashlib.sha256(fetched.content).hexdigest()
    suffix = suffix or Path(urlparse(fetched.url).path).suffix or ".bin"
    folder = raw_dir / feed / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{suffix}"
    already_present = path.exists()
    if not already_present:
        write_bytes_atomic(path, fetched.content)
    entry = {
        "source_url": fetched.url,
        "fetched_at": fetched.fetched_at.isoformat(),
        "sha256": digest,
        "bytes": len(fetched.content),
        "path": path.name,
        "release": release,
        "last_modified": fetched.headers.get("last-modified"),
        "validators": fetched.validators,
    }
    append_line(folder / "manifest.jsonl", json.dumps(entry))
    return Landed(path, digest, len(fetched.content), fetched.url, entry["fetched_at"], already_present)


def last_landings(raw_dir: Path, feed: str, name: str) -> dict[str, dict]:
    """The latest manifest entry of each release landed for this feed table."""
    manifest = raw_dir / feed / name / "manifest.jsonl"
    latest: dict[str, dict] = {}
    if manifest.exists():
        for line in manifest.read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:   # a line cut short by a crash: that landing is not known to have happened
                continue
            if isinstance(entry, dict) and entry.get("release") is not None:
                latest[entry["release"]] = entry
    return latest
