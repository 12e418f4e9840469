"""The integration tests share the end-to-end pipeline run of tests/conftest.py (`pipeline`), with the API tests."""
