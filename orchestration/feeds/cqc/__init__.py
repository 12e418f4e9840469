"""CQC ratings: the public API and the "Latest ratings" spreadsheet (FEEDS.md §2)."""
