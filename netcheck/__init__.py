"""netcheck: can this machine reach everything an Azure Hybrid Runbook Worker needs?"""

__version__ = "0.1.0"
