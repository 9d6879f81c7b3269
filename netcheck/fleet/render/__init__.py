"""Renderers of a merged fleet and of a diff: one module per format, all pure (registry in
netcheck/formats.py)."""
