"""One module per schema revision; alembic loads them by file, not as a package."""
