"""Unit tests: a package so that their module names (unit.test_proxy) do not clash with
tests/e2e's, and so that they can share tests/unit/builders.py."""
