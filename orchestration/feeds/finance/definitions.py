"""The Dagster definitions of this feed folder: built from its declarations, merged by the code location."""
from orchestration.feeds.finance import FEEDS
from orchestration.feeds.assets import feed_definitions

defs = feed_definitions(FEEDS)
