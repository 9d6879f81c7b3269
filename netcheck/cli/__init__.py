"""The command line: the only package that reads the environment, prints, or exits.

One module per command; `main.py` holds the group and maps every exception to an `Exit`.
"""

from netcheck.cli.main import cli, main, run

__all__ = ["cli", "main", "run"]
