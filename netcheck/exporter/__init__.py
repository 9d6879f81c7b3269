"""`netcheck exporter`: a long-running Prometheus exporter (multi-target, as blackbox_exporter).

`config` reads the module and web configuration files, `request` checks what a /probe asks
for, `server` serves it; the metrics themselves come from `netcheck.report.prometheus`, the
same renderer as `check --format prometheus`.
"""
