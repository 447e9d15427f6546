"""A small in-process cache of rendered responses, keyed by the generations of the layers they
were made from (``Store.generations``): any committed write makes old entries unreachable.

The cache is bounded twice: at most ``max_entries`` entries and ``max_bytes`` of bodies (least
recently used go first), and a body larger than a quarter of ``max_bytes`` is not kept at all.
So requests with ever new keys (e.g. distinct bbox values) cannot grow a worker without bound.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024  # per worker process


class ResponseCache:
    """Least-recently-used cache of response bodies; safe to share between request threads."""

    def __init__(self, max_entries: int = MAX_ENTRIES, *, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def entries(self) -> int:
        """How many bodies are kept now."""
        return len(self._entries)

    def get_or_make(self, key: Hashable, make: Callable[[], str]) -> str:
        """The body cached under ``key``, or ``make()``'s result, cached if it fits."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key][0]
        body = make()  # outside the lock: two threads may render the same thing once each
        size = sys.getsizeof(body)
        with self._lock:
            self.misses += 1
            if size > self.max_bytes // 4:
                return body  # too big to be worth the memory it would pin
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._entries[key] = (body, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped
        return body
