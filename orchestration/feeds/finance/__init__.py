"""Trust finance: annual TAC accounts data and the monthly restricted in-year return (FEEDS.md §4)."""
