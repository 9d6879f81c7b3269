"""The one exception type for bad user input; the CLI turns it into exit code 2."""


class UsageError(Exception):
    """Bad input from the user: the message is one line that names the problem and the choices."""
