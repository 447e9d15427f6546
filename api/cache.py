"""A small in-process cache of rendered responses, keyed by the generations of the layers they
were made from (``Store.generations``): any committed write makes old entries unreachable."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable


class ResponseCache:
    """Least-recently-used cache of response bodies; safe to share between request threads."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: Hashable, make: Callable[[], str]) -> str:
        """The body cached under ``key``, or ``make()``'s result, cached."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
        body = make()  # outside the lock: two threads may render the same thing once each
        with self._lock:
            self.misses += 1
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return body
