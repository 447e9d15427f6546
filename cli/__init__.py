"""The ``trygg`` command: a thin shell over the use-cases in ``services``.

Each module adds one group of commands to the ``cli`` group of ``cli.base``; a new command
module is imported here. The CLI never imports the web app: ``trygg serve`` hands uvicorn the
app factory's import string.
"""

from cli import coverage, data, db, kommun, report, serve, siting, users
from cli.base import cli

COMMAND_MODULES = (coverage, data, db, kommun, report, serve, siting, users)


def main() -> None:
    cli(prog_name="trygg")


__all__ = ["COMMAND_MODULES", "cli", "main"]
