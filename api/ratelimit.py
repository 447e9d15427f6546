"""A small in-memory limiter of failed sign-ins per client address (sliding one-minute window).

Login-form failures and wrong Bearer tokens share one limiter, keyed by the TCP peer's address
(``client_address``; ``trygg serve`` believes ``X-Forwarded-For`` only from
``TRYGG_TRUSTED_PROXIES``). A success does not clear an address's failures: otherwise a guesser
with an own account could reset the count between guesses. The counts are per process.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque

from starlette.requests import HTTPConnection

WINDOW_S = 60.0
MAX_ADDRESSES = 100_000  # addresses remembered at once; the least recently failed go first


def client_address(request: HTTPConnection) -> str:
    """The address failures are counted under: the connection's peer."""
    return request.client.host if request.client else "unknown"


class LoginLimiter:
    """Allows ``per_minute`` failures per key in a sliding window; then ``blocked`` is True
    and ``retry_after`` says how many seconds to wait."""

    def __init__(self, per_minute: int, *, window_s: float = WINDOW_S,
                 max_keys: int = MAX_ADDRESSES) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _window(self, key: str, now: float) -> deque[float]:
        window = self._failures.get(key)
        if window is None:
            return deque()
        while window and now - window[0] >= self.window_s:
            window.popleft()
        if not window:
            del self._failures[key]
        return window

    def blocked(self, key: str) -> bool:
        """True if ``key`` has used up its failures in the current window."""
        with self._lock:
            return len(self._window(key, time.monotonic())) >= self.per_minute

    def retry_after(self, key: str) -> int:
        """Whole seconds until ``key`` may try again (0 if it may now)."""
        with self._lock:
            now = time.monotonic()
            window = self._window(key, now)
            if len(window) < self.per_minute:
                return 0
            oldest_that_blocks = window[len(window) - self.per_minute]
            return max(1, math.ceil(oldest_that_blocks + self.window_s - now))

    def failed(self, key: str) -> None:
        """Count one failure of ``key``."""
        with self._lock:
            now = time.monotonic()
            window = self._window(key, now)
            window.append(now)
            self._failures[key] = window
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """A successful sign-in from ``key``: deliberately forgives nothing (see the module)."""
