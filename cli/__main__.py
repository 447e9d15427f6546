"""``python -m cli``: the ``trygg`` command."""

from cli import main

main()
