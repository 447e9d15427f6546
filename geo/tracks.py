"""Patrol track vertices as flat arrays: read from a ``patrols`` layer once (the store keeps
vertex times as numbers, ``VertexTimes``; other times are parsed once, by
``geo.periods.epoch_seconds``), put in time order, and the segments between consecutive timed
pings; the period a set of tracks falls in."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_work_crs
from geo.periods import Period, epoch_seconds

log = logging.getLogger(__name__)


class VertexTimes(list[str | None]):
    """One track's vertex times as ISO 8601 text in UTC (a list, the form of the ``times``
    field) carrying their epoch seconds (``seconds``, float64, NaN where a time could not be
    read; its text is then None). The store reads the numbers it keeps into this form, so
    ``track_vertices`` takes them without parsing any text."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: np.ndarray) -> None:
        self.seconds = np.asarray(seconds, dtype=np.float64)
        super().__init__(iso_texts(self.seconds))


def iso_texts(seconds: np.ndarray) -> list[str | None]:
    """Epoch seconds as ISO 8601 text in UTC ("2024-03-01T18:00:00+00:00", with microseconds
    where the time has a fraction), None for NaN; vectorised."""
    t = np.asarray(seconds, dtype=np.float64)
    finite = np.isfinite(t)
    micros = np.zeros(len(t), dtype=np.int64)
    micros[finite] = np.round(t[finite] * 1e6).astype(np.int64)
    text = np.datetime_as_string((micros // 1_000_000).astype("datetime64[s]"), unit="s")
    fraction = np.flatnonzero(micros % 1_000_000 != 0)
    if len(fraction):
        text = text.astype(object)
        text[fraction] = np.datetime_as_string(micros[fraction].astype("datetime64[us]"),
                                               unit="us")
    out: list[str | None] = [f"{s}+00:00" for s in text.tolist()]
    for i in np.flatnonzero(~finite).tolist():
        out[i] = None
    return out


def vertex_seconds(times: Sequence[Any]) -> list[np.ndarray | None]:
    """Each track's ``times`` as epoch seconds (float64, NaN where unreadable), None where a
    track has no list of times: ``VertexTimes`` as they are, texts parsed in one go the way
    ``track_vertices`` always read them (``epoch_seconds``, the repeated autumn hour inferred
    per track)."""
    out: list[np.ndarray | None] = [
        ts.seconds if isinstance(ts, VertexTimes)
        else np.empty(0) if isinstance(ts, (list, tuple)) else None for ts in times]
    texts = [i for i, ts in enumerate(times)
             if isinstance(ts, (list, tuple)) and not isinstance(ts, VertexTimes) and len(ts)]
    if texts:
        counts = np.array([len(times[i]) for i in texts])
        flat = pd.Series([s for i in texts for s in times[i]], dtype=object).astype(str).str.strip()
        secs = epoch_seconds(flat, sequence=np.repeat(np.arange(len(texts)), counts))
        for i, part in zip(texts, np.split(secs, np.cumsum(counts)[:-1]), strict=True):
            out[i] = part
    return out


class TrackVertices(NamedTuple):
    """Track vertices as flat arrays, in order along each track.

    Consecutive vertices with the same ``piece`` are joined by a segment. ``t`` is epoch seconds
    (UTC) or NaN where the vertex has no time; ``t_any`` is ``t`` or else the track's own
    start/end (NaN when the track has no time at all), used only to pick the period.
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    t_any: np.ndarray
    piece: np.ndarray
    track: np.ndarray
    unreadable_times: int = 0  # vertex times that could not be read (their vertices dropped)


def ordered_vertices(v: TrackVertices) -> TrackVertices:
    """The vertices of each piece in time order (stable), repeats of a ping (same time and
    place) dropped.

    Pieces without any time keep their drawn order; a vertex without a time in a piece with
    times is dropped (it was counted as unreadable). Already ordered input is returned as is.
    """
    n = len(v.x)
    if n < 2:
        return v
    same = v.piece[1:] == v.piece[:-1]
    finite = np.isfinite(v.t)
    timed_piece = np.zeros(int(v.piece.max()) + 1 if n else 0, dtype=bool)
    timed_piece[v.piece[finite]] = True
    lost = timed_piece[v.piece] & ~finite
    with np.errstate(invalid="ignore"):
        backwards = same & finite[1:] & finite[:-1] & (
            (v.t[1:] < v.t[:-1])
            | ((v.t[1:] == v.t[:-1]) & (v.x[1:] == v.x[:-1]) & (v.y[1:] == v.y[:-1])))
    if not lost.any() and not backwards.any() and not (np.diff(v.piece) < 0).any():
        return v
    keep = np.flatnonzero(~lost)
    order = keep[np.lexsort((v.t[keep], v.piece[keep]))]  # stable: untimed pieces keep order
    t, piece, x, y = v.t[order], v.piece[order], v.x[order], v.y[order]
    dup = np.r_[False, (piece[1:] == piece[:-1]) & (t[1:] == t[:-1]) & (x[1:] == x[:-1])
                & (y[1:] == y[:-1])]
    order = order[~dup]
    return TrackVertices(v.x[order], v.y[order], v.t[order], v.t_any[order], v.piece[order],
                         v.track[order], v.unreadable_times)


def vertices_from_arrays(x: np.ndarray, y: np.ndarray, t: np.ndarray, track: np.ndarray
                         ) -> TrackVertices:
    """Vertices of pings sorted by track then time (e.g. ``geo.simulate.simulate_ping_arrays``)."""
    t = np.asarray(t, dtype=np.float64)
    track = np.asarray(track, dtype=np.int64)
    return TrackVertices(np.asarray(x, float), np.asarray(y, float), t, t, track, track)


def track_vertices(tracks: gpd.GeoDataFrame) -> tuple[TrackVertices, np.ndarray]:
    """The vertices of a ``patrols`` layer (EPSG:3006) and the team (``unit``) of each track.

    A track's ``times`` give one timestamp per vertex; a track whose ``times`` are missing or do
    not match its vertices has no per-vertex time (its ``start``/``end`` still place it in a
    period for street coverage). Point features are taken as a sequence of pings.
    """
    require_work_crs(tracks, "tracks")
    n = len(tracks)
    geoms = np.asarray(tracks.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    track = owner[coord_part].astype(np.int64)
    is_point = shapely.get_type_id(parts) == 0
    piece = np.where(is_point[coord_part], len(parts) + track, coord_part).astype(np.int64)

    counts = np.bincount(track, minlength=n)
    times = tracks["times"].tolist() if "times" in tracks else [None] * n
    ok = np.array([isinstance(ts, (list, tuple)) and len(ts) == c and c > 0
                   for ts, c in zip(times, counts.tolist(), strict=True)], dtype=bool)
    t = np.full(len(coords), np.nan)
    unreadable = 0
    if ok.any():
        has = np.repeat(ok, counts)
        seconds = vertex_seconds([times[i] for i in np.flatnonzero(ok).tolist()])
        t[has] = np.concatenate([s for s in seconds if s is not None])
        unreadable = int(np.isnan(t[has]).sum())
        if unreadable:
            log.warning("patrol tracks: %d vertex times could not be read", unreadable)
    t_track = np.full(n, np.nan)
    for column in ("end", "start"):  # start wins where both are given
        if column in tracks:
            stamp = pd.to_datetime(tracks[column], utc=True, errors="coerce")
            secs = stamp.dt.as_unit("ns").astype("int64").to_numpy() / 1e9
            secs[stamp.isna().to_numpy()] = np.nan
            t_track = np.where(np.isfinite(secs), secs, t_track)
    t_any = np.where(np.isfinite(t), t, t_track[track])
    units = (tracks["unit"].fillna("").astype(str).to_numpy() if "unit" in tracks
             else np.full(n, "", dtype=object))
    units = np.where(units == "", "okänd enhet", units)
    vertices = TrackVertices(coords[:, 0], coords[:, 1], t, t_any, piece, track, unreadable)
    return ordered_vertices(vertices), units



class Segments(NamedTuple):
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    track: np.ndarray


def timed_segments(v: TrackVertices, *, max_gap_s: float) -> Segments:
    """Segments between consecutive timed vertices of one piece no more than ``max_gap_s``
    apart (the vertices in time order, ``ordered_vertices``)."""
    same = v.piece[1:] == v.piece[:-1]
    dt = v.t[1:] - v.t[:-1]
    ok = same & np.isfinite(dt) & (dt >= 0) & (dt <= max_gap_s)
    i = np.flatnonzero(ok)
    return Segments(v.x[i], v.y[i], v.x[i + 1], v.y[i + 1], v.t[i], v.t[i + 1], v.track[i])


def rows_in_period(vertices: TrackVertices, period: Period) -> np.ndarray:
    """The tracks (row numbers) with a vertex (or, without times, a start or end) inside
    ``period``, sorted."""
    inside = (vertices.t_any >= period.start_s) & (vertices.t_any < period.end_s)
    rows: np.ndarray = np.unique(vertices.track[inside])
    return rows


def tracks_in_period(tracks: gpd.GeoDataFrame, period: Period) -> gpd.GeoDataFrame:
    """The tracks with a vertex (or, without times, a start or end) inside ``period``."""
    return tracks.iloc[rows_in_period(track_vertices(tracks)[0], period)]


def vertices_latest(vertices: TrackVertices) -> float | None:
    """The latest vertex time (or start/end) of the vertices, as epoch seconds; None if none."""
    finite = vertices.t_any[np.isfinite(vertices.t_any)]
    return float(finite.max()) if len(finite) else None


def latest_time(tracks: gpd.GeoDataFrame) -> float | None:
    """The latest vertex time (or start/end) of any track, as epoch seconds; None if none."""
    if len(tracks) == 0:
        return None
    return vertices_latest(track_vertices(tracks)[0])


def weeks_to(latest: float | None, *, n_weeks: int = 4) -> Period:
    """The ``n_weeks`` whole ISO weeks ending with the week of the instant ``latest`` (epoch
    seconds; None: today)."""
    from geo.periods import local_date, weeks_ending

    last = local_date(latest) if latest is not None else pd.Timestamp.now(tz="UTC").date()
    return weeks_ending(last, n_weeks=n_weeks)


def default_period(tracks: gpd.GeoDataFrame, *, n_weeks: int = 4) -> Period:
    """The ``n_weeks`` whole ISO weeks ending with the week of the latest track (else today)."""
    return weeks_to(latest_time(tracks), n_weeks=n_weeks)
