"""Keep the events layer up to date from the police API: `trygg events poll`.

Each round waits as long as the API's limits ask (``sources.polisen.CallLog``), records the call
before making it (a crash still counts it), fetches the latest events, keeps the municipality's,
places them from their text and upserts them by event id: a round that sees nothing new changes
nothing, and a restarted poller resumes from its state file with the limits intact.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.errors import ImportRejected
from geo.events import parse_events
from services.imports import place_events, store_gazetteer, upsert_events
from sources.polisen import LIVE_FEED_URL, SERVED_EVENTS, CallLimits, CallLog, fetch_events
from store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollRound:
    """What one call brought."""

    at: float  # epoch seconds of the call
    waited_s: float
    served: int  # events the API answered with (all of Sweden)
    kept: int  # of the municipality
    inserted: int
    updated: int
    maybe_missed: bool  # the API's 500 were all newer than the last round's newest
    error: str | None = None


@dataclass(frozen=True)
class PollIO:
    """The poller's contact with the world: the real network, clock and sleep unless a caller
    (a test, a replay) gives others."""

    fetch: Callable[[str], list[dict[str, Any]]] = fetch_events
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep


def poll_events(store: Store, *, state_path: Path, municipality: str | None,
                rounds: int | None = None, url: str = LIVE_FEED_URL,
                limits: CallLimits | None = None, io: PollIO | None = None) -> list[PollRound]:
    """Poll ``url`` for ``rounds`` rounds (forever when None) within the API's limits.

    A failed call (network, HTTP error, bad JSON) is logged and counted, and the next round
    tries again; it never stops the poller or changes the store.
    """
    limits = limits or CallLimits()
    io = io or PollIO()
    fetch, clock, sleep = io.fetch, io.clock, io.sleep
    calls = CallLog.load(state_path)
    done: list[PollRound] = []
    while rounds is None or len(done) < rounds:
        waited = calls.wait_s(clock(), limits)
        if waited > 0:
            log.info("waiting %.0f s for the police API's limits", waited)
            sleep(waited)
        at = clock()
        calls.record(at)
        calls.save(state_path)
        try:
            raw = fetch(url)
            events = parse_events(raw, origin=url)
            kept = int((events["municipality"] == municipality).sum()) if municipality \
                else len(events)
            placed = place_events(raw, store_gazetteer(store), origin=url,
                                  municipality=municipality)
            inserted, updated = upsert_events(store, placed, origin=url)
        except ImportRejected as exc:
            log.warning("poll at %.0f failed: %s", at, exc.message)
            done.append(PollRound(at, waited, 0, 0, 0, 0, False, error=exc.message))
            continue
        ids = [int(e["id"]) for e in raw if isinstance(e.get("id"), int)]
        missed = (len(raw) >= SERVED_EVENTS and calls.newest_event_id is not None
                  and bool(ids) and min(ids) > calls.newest_event_id)
        if ids:
            calls.newest_event_id = max([*ids, calls.newest_event_id or 0])
        calls.save(state_path)
        if missed:
            log.warning("the API's %d events are all newer than the last round's newest: events "
                        "in between may be missing; import an archive file to fill the gap",
                        len(raw))
        log.info("poll: %d served, %d of %s, %d new, %d updated", len(raw), kept,
                 municipality or "all", inserted, updated)
        done.append(PollRound(at, waited, len(raw), kept, inserted, updated, missed))
    return done
