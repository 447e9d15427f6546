"""The embedded SQLite store of every layer, and the accounts that may use it."""

from store.store import Store, StoreVersionError

__all__ = ["Store", "StoreVersionError"]
