"""When traffic risk happens: an hour-of-week profile from the police's traffic events.

Events are few (a municipality sees some tens of traffic events a year), so the profile is
smoothed: counts per hour of the week (Swedish local time, Monday 00–01 first) are spread with a
circular Gaussian kernel, half of the mass is pooled across weekdays or weekend days by hour of
day, and the result is blended with a uniform prior worth ``prior_events`` events.

An event's time is the time in its title ("22 mars 06:50, Trafikolycka, Timrå"), which is when
it happened; the API's ``datetime`` is the later publication time and is used only as fallback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ValidationFailed
from geo.periods import LOCAL_TZ
from geo.road_risk import NEAR_M, road_event_pairs, traffic_events

HOURS_PER_WEEK = 168
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
     "oktober", "november", "december"))}
_TITLE_TIME = re.compile(r"^\s*(\d{1,2})\s+([a-zåäö]+)\s+(\d{1,2})[.:](\d{2})", re.IGNORECASE)


def title_time(name: str, published: pd.Timestamp) -> pd.Timestamp:
    """The local time in an event's title; the year is the publication's (or the one before, if
    that would put it after publication). Falls back to ``published`` in local time."""
    published = pd.Timestamp(published)
    local_pub = published.tz_convert(LOCAL_TZ)
    found = _TITLE_TIME.match(name or "")
    if not found or found.group(2).casefold() not in _MONTHS:
        return local_pub
    day, month = int(found.group(1)), _MONTHS[found.group(2).casefold()]
    hour, minute = int(found.group(3)), int(found.group(4))
    for year in (local_pub.year, local_pub.year - 1):
        try:
            ts = pd.Timestamp(year=year, month=month, day=day, hour=hour, minute=minute)
        except ValueError:
            return local_pub
        ts = ts.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward")
        if ts <= published + pd.Timedelta(hours=1):
            return ts
    return local_pub


def hour_of_week(events: pd.DataFrame) -> np.ndarray:
    """Hour of the week (0 = Monday 00–01 local time) of each event, from its title time."""
    names = events["name"].fillna("")
    times = [title_time(n, t) for n, t in zip(names, events["time"], strict=True)]
    return np.array([t.day_of_week * 24 + t.hour for t in times], dtype=int)


def hour_of_week_profile(events: pd.DataFrame, *, categories: Sequence[str] = (),
                         bandwidth_h: float = 2.0, prior_events: float = 10.0) -> np.ndarray:
    """The smoothed share of traffic risk in each of the 168 hours of the week (sums to 1)."""
    chosen = traffic_events(events, categories)
    counts = np.bincount(hour_of_week(chosen), minlength=HOURS_PER_WEEK).astype(float) \
        if len(chosen) else np.zeros(HOURS_PER_WEEK)
    n = counts.sum()
    offsets = np.arange(-HOURS_PER_WEEK // 2, HOURS_PER_WEEK // 2)
    kernel = np.exp(-0.5 * (offsets / bandwidth_h) ** 2)
    kernel /= kernel.sum()
    direct = np.real(np.fft.ifft(np.fft.fft(counts) * np.fft.fft(np.fft.ifftshift(kernel))))
    direct = np.clip(direct, 0, None)
    # Pooled: by hour of day within weekdays (Mon–Fri) and within the weekend (Sat–Sun).
    by_day = direct.reshape(7, 24)
    pooled = np.empty_like(by_day)
    pooled[:5] = by_day[:5].mean(axis=0)
    pooled[5:] = by_day[5:].mean(axis=0)
    smoothed = 0.5 * direct + 0.5 * pooled.ravel()
    if smoothed.sum() > 0:
        smoothed *= n / smoothed.sum()
    profile: np.ndarray = smoothed + prior_events / HOURS_PER_WEEK
    return profile / float(profile.sum())


def hours_mask(text: str) -> np.ndarray:
    """24 booleans from hour ranges in local time such as "22-6" or "6-9,15-19" (wrapping
    past midnight allowed); raises ``ValidationFailed`` on bad text."""
    mask = np.zeros(24, dtype=bool)
    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise ValidationFailed(f"timmar {text!r}: ange timintervall som '22-6' eller "
                               "'6-9,15-19'")
    for part in parts:
        found = re.fullmatch(r"(\d{1,2})\s*[-–]\s*(\d{1,2})", part)
        if not found or int(found.group(1)) > 24 or int(found.group(2)) > 24:
            raise ValidationFailed(f"timmar {text!r}: {part!r} är inget timintervall inom "
                                   "0–24; skriv till exempel '22-6'")
        start, end = int(found.group(1)) % 24, int(found.group(2))
        end = 24 if end == 0 and start > 0 else end
        if start < end:
            mask[start:end] = True
        elif start > end:
            mask[start:] = True
            mask[:end] = True
        else:
            mask[:] = True
    return mask


def road_hour_factor(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, hours: np.ndarray, *,
                     categories: Sequence[str] = (), near_m: float = NEAR_M,
                     prior_events: float = 3.0) -> pd.Series:
    """Per road (indexed like ``roads``), the share of its traffic risk in the local ``hours``
    (24 booleans): its own events where the events give it, shrunk towards the municipality's
    profile with ``prior_events`` pseudo-events. An event belongs to a road by the one rule of
    ``geo.road_risk.road_event_pairs`` (its road number, street, place, or ``near_m``)."""
    profile = hour_of_week_profile(events, categories=categories)
    week_mask = np.tile(hours, 7)
    global_share = float(profile[week_mask].sum())
    chosen = traffic_events(events, categories) if len(events) else events
    if len(chosen) == 0 or roads.empty:
        return pd.Series(global_share, index=roads.index, dtype=float)
    in_window = week_mask[hour_of_week(chosen)]
    pairs = road_event_pairs(roads, chosen, near_m=near_m)
    ev, rd = pairs["event"].to_numpy(dtype=int), pairs["road"].to_numpy(dtype=int)
    n = np.bincount(rd, minlength=len(roads))
    n_in = np.bincount(rd, weights=in_window[ev].astype(float), minlength=len(roads))
    share = (n_in + prior_events * global_share) / (n + prior_events)
    return pd.Series(share, index=roads.index, dtype=float)
