"""netcheck: can this machine reach everything an Azure Hybrid Runbook Worker needs?"""

__version__ = "0.1.0"
# TLS_EXPIRING warns about certificates that expire within this many days (a check's
# --expiry-warning-days changes it). Here, not in models, because the command line shows it
# in --help, which must not load the models.
DEFAULT_EXPIRY_WARNING_DAYS = 30
# Targets probed at once (--concurrency): every target of --all-regions with both IDs (about
# 280) in one wave. A probe in flight costs the event loop a few sockets, not a thread.
DEFAULT_CONCURRENCY = 512
