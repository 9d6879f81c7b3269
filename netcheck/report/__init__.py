"""Report renderers: one module per format, all pure (report in, text out); their names
and registry are in netcheck/formats.py."""
