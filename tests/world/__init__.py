"""A small internet in network namespaces, for end-to-end tests of the real netcheck CLI."""
