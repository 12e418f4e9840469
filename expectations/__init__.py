"""Great Expectations suites, one per raw feed and one per mart, and the registry mapping them to assets."""
