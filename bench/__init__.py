"""Benchmarks: speed and memory of the platform's main paths, measured outside the test suite."""
