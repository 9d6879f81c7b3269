"""Shipped data files (installed as netcheck.data): the catalogue and interceptor signatures."""
