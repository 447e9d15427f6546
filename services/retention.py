"""Retention of raw patrol GPS pings (``trygg patrols reduce``): patrols that ended more than
a configurable number of days ago (``TRYGG_PING_RETENTION_DAYS``) are reduced to the pings the
coverage figures of the patrol zones need (``geo.retention``), each change written and audited
like any update, and one audit row saying what the pass did."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.coverage_options import DEFAULT_REACH_M, CoverageOptions
from geo.errors import ValidationFailed
from geo.retention import reduce_tracks
from geo.tracks import track_vertices
from store import Store
from store.store import Actor

MAX_CELL_M = 50.0  # the largest zone-grid cell a coverage request may ask for


@dataclass(frozen=True)
class Reduction:
    """What one pass did (or, with ``dry_run``, would do)."""

    older_than_days: float
    cutoff: str  # ISO 8601, UTC: patrols whose last ping is before it were looked at
    keep_within_m: float
    old_tracks: int
    reduced: int
    left_untimed: int
    pings_before: int
    pings_after: int
    dry_run: bool


def keep_within_m(reach_m: float) -> float:
    """How far from a zone's box pings are kept so figures of any reach up to ``reach_m`` (and
    any zone-grid cell the coverage options accept) stay exact: the zone grid's margin."""
    return CoverageOptions(reach_m=reach_m, cell_m=MAX_CELL_M).margin_m


def reduce_patrols(store: Store, *, older_than_days: float, reach_m: float = DEFAULT_REACH_M,
                   dry_run: bool = False, now: pd.Timestamp | None = None,
                   actor: Actor | None = None) -> Reduction:
    """Reduce every patrol whose last ping (else its end, else its start) is more than
    ``older_than_days`` before ``now`` to the pings the coverage figures of today's patrol
    zones need, for reaches up to ``reach_m`` (``geo.retention``). Each reduced patrol is one
    audited update (geometry and times); the pass is one audit row ``reduce_patrols``. Running
    it again changes nothing."""
    if not np.isfinite(older_than_days) or older_than_days < 0:
        raise ValidationFailed(f"older_than_days: {older_than_days!r} måste vara 0 dagar "
                               "eller fler")
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    cutoff = now - pd.Timedelta(days=older_than_days)
    patrols = store.read("patrols")
    old = patrols.iloc[0:0]
    if len(patrols):
        vertices, _ = track_vertices(patrols)
        last = np.full(len(patrols), -np.inf)
        finite = np.isfinite(vertices.t_any)
        np.maximum.at(last, vertices.track[finite], vertices.t_any[finite])
        old = patrols[(last > -np.inf) & (last < cutoff.timestamp())]
    distance = keep_within_m(reach_m)
    result = reduce_tracks(old, store.read("patrol_zones"), keep_within_m=distance)
    if not dry_run:
        for feature_id, (geometry, times) in result.changes.items():
            store.update("patrols", int(feature_id), {"times": times}, geometry=geometry,
                         actor=actor)
    done = Reduction(older_than_days=float(older_than_days),
                     cutoff=cutoff.isoformat(timespec="seconds"), keep_within_m=distance,
                     old_tracks=len(old), reduced=result.reduced,
                     left_untimed=result.left_untimed, pings_before=result.pings_before,
                     pings_after=result.pings_after, dry_run=dry_run)
    if not dry_run:
        store.record("reduce_patrols", actor=actor, details={
            k: v for k, v in done.__dict__.items() if k != "dry_run"})
    return done
