"""Retention of raw patrol GPS pings: an old track reduced to what the coverage figures need.

What a coverage figure reads of a track (``geo.coverage``) is its segments between consecutive
pings of one piece, each with its two times, and only the segments that come within a zone's
grid (the zone's box widened by the grid's margin, ``CoverageOptions.margin_m``): a segment that
meets no such box adds no presence, no visit and no street coverage to any zone. So a track is
reduced to the runs of its consecutive segments that meet the boxes of the patrol zones widened
by ``keep_within_m``, each run a part of a MultiLineString (parts are never joined: the gap
between two runs is no segment), every kept ping with its own time. Every figure of those zones
(minutes, visits, gaps, bands, weeks, teams, dosage, street coverage) is then exactly what the
raw track gave, for any reach up to ``keep_within_m`` less the grid's margin. What is lost, on
purpose: where the patrol went away from the zones, and its figures for a zone drawn later
elsewhere. A track that never comes near a zone keeps one ping, its first (so it still counts
as a patrol of its period).

Only tracks whose every ping has a readable time, in strictly increasing order, are reduced:
the coverage figures join pings either side of an unreadable time and reorder pings out of time
order, which a reduction by position would not reproduce. Tracks without times are not raw
pings with times and are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.tracks import iso_texts, vertex_seconds


@dataclass(frozen=True)
class ReducedTracks:
    """What ``reduce_tracks`` made: for each changed track (by index) its new geometry and
    times, and the counts: tracks looked at, reduced, left (unreadable or unordered times,
    or nothing to drop), pings before and after."""

    changes: dict[Any, tuple[shapely.Geometry, list[str | None]]]
    tracks: int
    reduced: int
    left_untimed: int
    pings_before: int
    pings_after: int


def reduce_tracks(tracks: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
                  keep_within_m: float) -> ReducedTracks:
    """Each track of ``tracks`` (a ``patrols`` layer, EPSG:3006) reduced to the runs of its
    segments that meet a box of ``zones`` widened by ``keep_within_m`` (see the module doc)."""
    require_work_crs(tracks, "tracks")
    if len(zones):
        require_work_crs(zones, "zones")
    if not np.isfinite(keep_within_m) or keep_within_m < 0:
        raise ValidationFailed(f"keep_within_m: {keep_within_m!r} ska vara 0 m eller mer")
    geoms = np.asarray(tracks.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    track = owner[coord_part].astype(np.int64)
    is_point = shapely.get_type_id(parts) == 0
    piece = np.where(is_point[coord_part], len(parts) + track, coord_part)
    counts = np.bincount(track, minlength=len(tracks))
    times = tracks["times"].tolist() if "times" in tracks else [None] * len(tracks)
    seconds = vertex_seconds(times)
    ok = np.array([s is not None and len(s) == c > 0 and bool(np.isfinite(s).all())
                   and bool((np.diff(s) > 0).all())
                   for s, c in zip(seconds, counts.tolist(), strict=True)], dtype=bool)
    # Segments i -> i + 1 within one piece, and whether each meets a widened zone box.
    same = piece[1:] == piece[:-1]
    boxes = shapely.box(*np.asarray(shapely.bounds(np.asarray(zones.geometry.values,
                                                              dtype=object))).T) \
        if len(zones) else np.empty(0, dtype=object)
    region = shapely.union_all(shapely.buffer(boxes, keep_within_m, join_style="mitre")) \
        if len(boxes) else shapely.GeometryCollection()
    lines = shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1)) \
        if len(coords) > 1 else np.empty(0, dtype=object)
    shapely.prepare(region)
    meets = same & shapely.intersects(region, lines) if len(lines) else np.zeros(0, dtype=bool)
    changes: dict[Any, tuple[shapely.Geometry, list[str | None]]] = {}
    starts = np.r_[0, np.cumsum(counts)]
    before = after = 0
    for i in np.flatnonzero(ok).tolist():  # a maintenance pass, once per old track
        lo, hi = int(starts[i]), int(starts[i + 1])
        before += hi - lo
        kept = meets[lo:hi - 1] if hi - lo > 1 else np.zeros(0, dtype=bool)
        runs = _runs(kept)
        t = np.asarray(seconds[i], dtype=np.float64)
        if not runs:
            geometry: shapely.Geometry = shapely.Point(coords[lo])
            new_times = iso_texts(t[:1])
        else:
            geometry = shapely.MultiLineString([coords[lo + a:lo + b + 1] for a, b in runs])
            index = np.concatenate([np.arange(a, b + 1) for a, b in runs])
            new_times = iso_texts(t[index])
        n_after = len(new_times)
        after += n_after
        if n_after < hi - lo:
            changes[tracks.index[i]] = (geometry, new_times)
    return ReducedTracks(changes=changes, tracks=len(tracks), reduced=len(changes),
                         left_untimed=int((~ok).sum()), pings_before=before,
                         pings_after=after)


def _runs(kept: np.ndarray) -> list[tuple[int, int]]:
    """(first vertex, last vertex) of each run of consecutive kept segments."""
    if not kept.any():
        return []
    edges = np.diff(np.r_[0, kept.astype(np.int8), 0])
    first = np.flatnonzero(edges == 1)
    last = np.flatnonzero(edges == -1)  # segment index one past the run: its end vertex
    return list(zip(first.tolist(), last.tolist(), strict=True))
