"""Every feed the platform knows: the declarations each feed folder exports (`feeds/<feed>/__init__.py`), merged.

Adding a feed touches its folder (parser, layouts, declaration), its Great Expectations suite, its dbt source and
its staging model; nothing here changes but the list of folders.
"""
from orchestration.feeds import cqc, finance, ods, workforce
from orchestration.feeds.spec import ApiFeed, CurrentFile, Feed, ReleaseSeries

FOLDERS = (ods, workforce, cqc, finance)
FEEDS: dict[str, Feed] = {feed.kind: feed for folder in FOLDERS for feed in folder.FEEDS}
CURRENT_FILES: dict[str, CurrentFile] = {k: f for k, f in FEEDS.items() if isinstance(f, CurrentFile)}
SERIES: dict[str, ReleaseSeries] = {k: f for k, f in FEEDS.items() if isinstance(f, ReleaseSeries)}
API_PULLS: dict[str, ApiFeed] = {k: f for k, f in FEEDS.items() if isinstance(f, ApiFeed)}
