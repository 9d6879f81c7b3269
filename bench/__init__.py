"""The benchmark against the usual tools (bench/README.md); never run by the test suite."""
