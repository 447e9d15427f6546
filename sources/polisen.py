"""The Swedish Police open API of events (https://polisen.se/api/events), read politely.

The API serves only the latest 500 events and asks clients to keep their distance: at least
10 seconds between calls, at most 60 calls an hour and 1,440 a day. ``CallLog`` keeps the times
of the calls made (in a small JSON state file, so a restarted poller keeps the limits) and says
how long to wait before the next one.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo.errors import ImportRejected
from geo.events import events_from_bytes

LIVE_FEED_URL = "https://polisen.se/api/events"
HTTP_TIMEOUT_S = 30.0
USER_AGENT = "trygg/0.1 (safety planning; +https://github.com/trygg)"
SERVED_EVENTS = 500  # the API answers with at most the latest 500 events


@dataclass(frozen=True)
class CallLimits:
    """How often the API may be called."""

    min_interval_s: float = 10.0
    per_hour: int = 60
    per_day: int = 1440

    def __post_init__(self) -> None:
        if self.min_interval_s < 10.0 or self.per_hour > 60 or self.per_day > 1440:
            raise ValueError("the police API allows at least 10 s between calls, at most 60 "
                             "calls an hour and 1,440 a day")


@dataclass
class CallLog:
    """The calls made in the last day (epoch seconds) and what the last poll saw."""

    calls: list[float] = field(default_factory=list)
    newest_event_id: int | None = None

    def wait_s(self, now: float, limits: CallLimits) -> float:
        """Seconds until a call is allowed at ``now`` (0 when it is)."""
        recent = sorted(t for t in self.calls if t > now - 86_400.0)
        waits = [0.0]
        if recent:
            waits.append(recent[-1] + limits.min_interval_s - now)
        hour = [t for t in recent if t > now - 3_600.0]
        if len(hour) >= limits.per_hour:
            waits.append(hour[-limits.per_hour] + 3_600.0 - now)
        if len(recent) >= limits.per_day:
            waits.append(recent[-limits.per_day] + 86_400.0 - now)
        return max(waits)

    def record(self, now: float) -> None:
        """A call made at ``now``; calls older than a day are forgotten."""
        self.calls = [t for t in self.calls if t > now - 86_400.0] + [now]

    @classmethod
    def load(cls, path: Path) -> CallLog:
        """The log kept at ``path`` (empty when there is none yet)."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise ImportRejected(f"{path}: cannot read the poller's state: {exc}") from exc
        return cls(calls=[float(t) for t in doc.get("calls", [])],
                   newest_event_id=doc.get("newest_event_id"))

    def save(self, path: Path) -> None:
        """Write the log atomically (a crash leaves the old or the new state, never half)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"calls": self.calls,
                                   "newest_event_id": self.newest_event_id}), encoding="utf-8")
        os.replace(tmp, path)


def fetch_events(url: str = LIVE_FEED_URL, *,
                 timeout_s: float = HTTP_TIMEOUT_S) -> list[dict[str, Any]]:
    """The raw events the API (or a file server in its format) answers at ``url``."""
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            data: bytes = response.read()
    except urllib.error.HTTPError as exc:
        raise ImportRejected(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ImportRejected(f"{url}: cannot fetch the events: {reason}") from exc
    return events_from_bytes(data, origin=url)


def is_url(source: str | Path) -> bool:
    """True for an http(s) address (read with ``fetch_events``), False for a file."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))
