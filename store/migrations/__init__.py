"""The store's versioned schema migrations (alembic): ``env.py`` and one file per revision in
``versions/``, named ``NNNN_*.py`` with revision ``"NNNN"``. Run them with ``store.migrate``."""
