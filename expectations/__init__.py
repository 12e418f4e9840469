"""Great Expectations suites, one per feed (and later per mart), and the registry mapping them to assets."""
