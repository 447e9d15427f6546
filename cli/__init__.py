"""The ``trygg`` command: a thin shell over the use-cases in ``services``.

Each module adds one group of commands to the ``cli`` group of ``cli.base``; ``COMMAND_HOMES``
there names the module of each command, imported only when that command runs. The CLI never
imports the web app: ``trygg serve`` hands uvicorn the app factory's import string.
"""

from cli.base import COMMAND_HOMES, cli


def main() -> None:
    cli(prog_name="trygg")


__all__ = ["COMMAND_HOMES", "cli", "main"]
