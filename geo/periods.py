"""Reporting periods and time bands in Swedish local time (``TZ_NAME``, Europe/Stockholm).

A ``Period`` is a run of whole local days, both ends included: 2024-09-02 – 2024-09-29 starts at
local midnight of the 2nd and ends at local midnight after the 29th. Time bands are day 06–18,
evening 18–24 and night 00–06 of the local calendar day; Saturday and Sunday are the weekend;
weeks are ISO weeks (Monday first). All instants are float seconds since 1970-01-01 UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo.errors import ValidationFailed

# The one time zone of the tool: every local date, time band and naive time is Swedish time.
TZ_NAME = "Europe/Stockholm"
LOCAL_TZ = ZoneInfo(TZ_NAME)

EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)
MAX_DAYS = 5 * 366

# The time step of a series (hotspot windows, report months): not a ``Period``, which is a run
# of whole days.
Granularity = Literal["month", "quarter"]

BANDS = ("dag", "kvall", "natt")  # 06–18, 18–24, 00–06
DAYTYPES = ("vardag", "helg")
_BAND_STARTS_H = (0, 6, 18)  # boundary hours of the local day
_BAND_OF_START = (2, 0, 1)  # index into BANDS for each boundary hour


@dataclass(frozen=True)
class Period:
    """Whole local days ``first`` … ``last`` (both included)."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def weeks(self) -> float:
        return self.days / 7.0

    @property
    def start_s(self) -> float:
        """Local midnight starting ``first``, as UTC epoch seconds."""
        return local_midnight_s(self.first)

    @property
    def end_s(self) -> float:
        """Local midnight after ``last``, as UTC epoch seconds."""
        return local_midnight_s(self.last + timedelta(days=1))

    def label(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def local_midnight_s(day: date) -> float:
    """Epoch seconds of local midnight starting ``day`` (never ambiguous in Sweden)."""
    return pd.Timestamp(day).tz_localize(LOCAL_TZ).timestamp()


def make_period(first: date | str, last: date | str, *, name: str = "period") -> Period:
    """A validated period; raise ``ValidationFailed`` naming ``name`` when the dates are wrong.

    Dates are ISO 8601 (``2024-09-02``); ``first`` must not come after ``last``; both lie in
    1900–2100 and the period is at most five years long.
    """
    problems: list[str] = []
    days: list[date | None] = []
    for label, given in (("från", first), ("till", last)):
        day: date | None
        if isinstance(given, str):
            try:
                day = date.fromisoformat(given.strip())
            except ValueError:
                problems.append(f"{name} {label}: {given!r} är inget datum; skriv det som "
                                "ÅÅÅÅ-MM-DD")
                day = None
        else:
            day = given
        if day is not None and not EARLIEST <= day <= LATEST:
            problems.append(f"{name} {label}: {day.isoformat()} ligger utanför "
                            f"{EARLIEST.isoformat()} – {LATEST.isoformat()}; välj ett datum "
                            "däremellan")
            day = None
        days.append(day)
    a, b = days
    if a is not None and b is not None:
        if a > b:
            problems.append(f"{name}: från ({a.isoformat()}) ligger efter till ({b.isoformat()}); "
                            "välj ett från-datum före till-datumet")
        elif (b - a).days + 1 > MAX_DAYS:
            problems.append(f"{name}: {(b - a).days + 1} dagar är längre än gränsen på "
                            f"{MAX_DAYS} dagar; välj en kortare period")
    if problems:
        raise ValidationFailed(f"{name} stämmer inte: " + "; ".join(problems), problems)
    assert a is not None and b is not None
    return Period(a, b)


def weeks_ending(last: date, *, n_weeks: int = 4) -> Period:
    """The ``n_weeks`` whole ISO weeks ending with the week that holds ``last``."""
    sunday = last + timedelta(days=6 - last.weekday())
    return Period(sunday - timedelta(days=7 * n_weeks - 1), sunday)


def local_date(t_s: float) -> date:
    """The local calendar date of an instant."""
    return pd.Timestamp(t_s, unit="s", tz="UTC").tz_convert(LOCAL_TZ).date()


def local_date_text(ts: pd.Timestamp, *, end: bool = False) -> str:
    """The local calendar date of an instant as 'YYYY-MM-DD'; ``end`` reads ``ts`` as an
    exclusive end and shows the last day included (midnight 1 October → 2024-09-30)."""
    local = pd.Timestamp(ts).tz_convert(LOCAL_TZ)
    if end:
        local = local - pd.Timedelta(microseconds=1)
    return local.strftime("%Y-%m-%d")


def local_text(t_s: float) -> str:
    """An instant as local 'YYYY-MM-DD HH:MM'."""
    return pd.Timestamp(t_s, unit="s", tz="UTC").tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class BandBoundaries:
    """The local 00/06/18 boundaries around a period: ``t[k]`` starts a stretch of band
    ``band[k]`` (index into BANDS) on a weekend day or not, in ISO week ``week[k]`` (index into
    ``week_labels``, whose Mondays are ``week_mondays``)."""

    t: np.ndarray
    band: np.ndarray
    weekend: np.ndarray
    week: np.ndarray
    week_labels: list[str]
    week_mondays: list[date]

    def locate(self, t_s: np.ndarray) -> np.ndarray:
        """Index of the stretch holding each instant (−1 before the first boundary)."""
        return np.searchsorted(self.t, t_s, side="right") - 1


def band_boundaries(period: Period, *, margin_days: int = 2) -> BandBoundaries:
    """Boundaries of the time bands from ``margin_days`` before the period to after it."""
    days = pd.date_range(period.first - timedelta(days=margin_days),
                         period.last + timedelta(days=margin_days), freq="D")
    hours = np.array(_BAND_STARTS_H)
    local = (np.repeat(days.values, len(hours))
             + np.tile(hours * 3600, len(days)).astype("timedelta64[s]"))
    utc = pd.DatetimeIndex(local).tz_localize(LOCAL_TZ, ambiguous="NaT",
                                              nonexistent="shift_forward")
    t = (utc.as_unit("s").asi8).astype(np.float64)
    day_rep = pd.DatetimeIndex(np.repeat(days.values, len(hours)))
    iso = day_rep.isocalendar()
    labels_all = [f"{y}-W{w:02d}"
                  for y, w in zip(iso["year"].tolist(), iso["week"].tolist(), strict=True)]
    week_labels = sorted(set(labels_all))
    index = {label: i for i, label in enumerate(week_labels)}
    mondays = [date.fromisocalendar(int(lb[:4]), int(lb[6:]), 1) for lb in week_labels]
    return BandBoundaries(
        t=t,
        band=np.tile(np.array(_BAND_OF_START), len(days)),
        weekend=np.asarray(day_rep.day_of_week >= 5),
        week=np.array([index[lb] for lb in labels_all], dtype=np.int64),
        week_labels=week_labels,
        week_mondays=mondays,
    )


def split_at_boundaries(a: np.ndarray, b: np.ndarray, bounds: BandBoundaries
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut intervals ``[a, b)`` at the band boundaries: (source index, start, end, stretch)."""
    ia = bounds.locate(a)
    ib = np.searchsorted(bounds.t, b, side="left") - 1
    ib = np.maximum(ib, ia)
    n = ib - ia + 1
    src = np.repeat(np.arange(len(a)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    stretch = ia[src] + k
    lo = np.where(k == 0, a[src], bounds.t[np.clip(stretch, 0, len(bounds.t) - 1)])
    nxt = np.clip(stretch + 1, 0, len(bounds.t) - 1)
    hi = np.where(k == n[src] - 1, b[src], bounds.t[nxt])
    return src, lo, hi, stretch


_HOURS_PART = re.compile(r"^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$")


def parse_active_hours(text: str) -> list[tuple[int, int]]:
    """``"10-2"`` → [(10, 26)]: local windows as (start hour, end hour), an end at or before the
    start running past midnight; ``"6-9,15-1"`` → [(6, 9), (15, 25)]; ``"0-24"`` the whole day."""
    windows = []
    for part in (text or "0-24").split(","):
        match = _HOURS_PART.match(part)
        if not match:
            raise ValidationFailed(f"Aktiva timmar (active_hours): {text!r} har fel form; skriv "
                                   "till exempel 10-2 eller 7-9,15-18")
        h0, h1 = int(match.group(1)), int(match.group(2))
        if not (0 <= h0 <= 24 and 0 <= h1 <= 24):
            raise ValidationFailed(f"Aktiva timmar (active_hours): {text!r}: timmarna ska ligga "
                                   "mellan 0 och 24")
        if h1 <= h0:
            h1 += 24
        windows.append((h0, h1))
    return windows


def active_intervals(text: str, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """The zone's active hours inside ``period`` as sorted, disjoint UTC intervals."""
    windows = parse_active_hours(text)
    days = pd.date_range(period.first - timedelta(days=1), period.last, freq="D")
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for h0, h1 in windows:  # a handful of windows; each is vectorised over the days
        for hours, out in ((h0, starts), (h1, ends)):
            local = days + pd.to_timedelta(hours, unit="h")
            utc = local.tz_localize(LOCAL_TZ, ambiguous=np.zeros(len(local), dtype=bool),
                                    nonexistent="shift_forward")
            out.append(utc.as_unit("s").asi8.astype(np.float64))
    a = np.clip(np.concatenate(starts), period.start_s, period.end_s)
    b = np.clip(np.concatenate(ends), period.start_s, period.end_s)
    keep = b > a
    return merge_intervals(a[keep], b[keep])


def merge_intervals(a: np.ndarray, b: np.ndarray, *, gap_s: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals, also joining those less than ``gap_s`` apart; sorted."""
    if len(a) == 0:
        return a.astype(float), b.astype(float)
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]
    reach = np.maximum.accumulate(b)
    new = np.r_[True, a[1:] > reach[:-1] + gap_s]
    return a[new], np.maximum.reduceat(b, np.flatnonzero(new))


def measure_before(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Total length of the sorted disjoint intervals ``[a, b)`` that lies before each ``x``."""
    if len(a) == 0:
        return np.zeros(len(x))
    lengths = np.r_[0.0, np.cumsum(b - a)]
    k = np.searchsorted(a, x, side="right") - 1
    kk = np.clip(k, 0, len(a) - 1)
    partial = np.clip(np.minimum(x, b[kk]) - a[kk], 0.0, None)
    return np.where(k >= 0, lengths[kk] + partial, 0.0)


# --- reading naive local times ------------------------------------------------------------------
#
# The one rule (also ``geo.layers.parse_datetime`` for a single value): a time without a UTC
# offset is Swedish local time. In the missing spring hour (02:00–03:00 on the last Sunday of
# March) it is shifted forward to 03:00. In the repeated autumn hour (02:00–03:00 on the last
# Sunday of October) a lone time is the first occurrence (summer time, UTC+2); in a sequence of
# pings (one track, in recorded order) the pings of that hour up to some point are the first
# occurrence and the rest the second (UTC+1), the point chosen so that the track goes back in
# time as little as possible, then with the smallest steps, else as late as possible.

_AUTUMN_SHIFT_S = 3600.0
_AWARE = r"(?:Z|[+-]\d\d(?::?\d\d)?)$"


def epoch_seconds(texts: pd.Series, *, sequence: np.ndarray | None = None) -> np.ndarray:
    """ISO 8601 texts as UTC epoch seconds, NaN where unreadable (count them with ``isnan``).

    Texts without an offset are local time read by the rule above; ``sequence`` (one number per
    text, e.g. the track, texts in recorded order) lets the repeated autumn hour be inferred.
    """
    texts = texts.astype(str).str.strip().str.replace(
        r"^(\d{4}-\d{2}-\d{2})[ T](\d):", r"\1 0\2:", regex=True)
    naive = ~texts.str.contains(_AWARE, regex=True).to_numpy()
    out = np.full(len(texts), np.nan)
    if (~naive).any():
        aware = pd.to_datetime(texts[~naive], utc=True, format="ISO8601", errors="coerce")
        out[~naive] = _seconds(pd.DatetimeIndex(aware))
    if naive.any():
        wall = pd.DatetimeIndex(pd.to_datetime(texts[naive], format="ISO8601", errors="coerce"))
        n = len(wall)
        first = _seconds(wall.tz_localize(LOCAL_TZ, ambiguous=np.ones(n, dtype=bool),
                                          nonexistent="shift_forward"))
        second = _seconds(wall.tz_localize(LOCAL_TZ, ambiguous=np.zeros(n, dtype=bool),
                                           nonexistent="shift_forward"))
        repeated = second - first == _AUTUMN_SHIFT_S
        if repeated.any() and sequence is not None:
            first[repeated] += _AUTUMN_SHIFT_S * _second_occurrence(
                first, repeated, np.asarray(sequence)[naive])[repeated]
        out[naive] = first
    return out


def _seconds(stamps: pd.DatetimeIndex) -> np.ndarray:
    secs = stamps.as_unit("ns").asi8.astype(np.float64) / 1e9
    secs[np.asarray(stamps.isna())] = np.nan
    return secs


def _second_occurrence(first: np.ndarray, repeated: np.ndarray, sequence: np.ndarray
                       ) -> np.ndarray:
    """Per time (first-occurrence seconds, in recorded order): whether it is the second
    occurrence of the repeated hour, chosen per sequence as the rule says."""
    out = np.zeros(len(first), dtype=bool)
    for seq in np.unique(sequence[repeated]):  # sequences in the repeated hour: a handful a year
        idx = np.flatnonzero((sequence == seq) & np.isfinite(first))
        t, rep = first[idx], repeated[idx]
        m = int(rep.sum())
        # Ping i is shifted for switch k (0..m) when it is repeated and its rank is at least k:
        # ``brk[i]`` = rank + 1 for repeated pings, 0 otherwise, shifted iff k < brk[i].
        brk = np.where(rep, np.cumsum(rep), 0)
        back = np.zeros(m + 2)
        square = np.zeros(m + 2)
        b0, b1 = brk[:-1], brk[1:]
        lo, hi = np.minimum(b0, b1), np.maximum(b0, b1)
        for start, end in ((np.zeros_like(lo), lo), (lo, hi), (hi, np.full_like(hi, m + 1))):
            step = t[1:] - t[:-1] + _AUTUMN_SHIFT_S * ((start < b1).astype(float)
                                                      - (start < b0).astype(float))
            use = end > start
            for acc, value in ((back, np.maximum(-step, 0.0)),
                               (square, np.maximum(step, 0.0) ** 2)):
                np.add.at(acc, start[use], value[use])
                np.add.at(acc, end[use], -value[use])
        cost_back = np.round(np.cumsum(back)[:m + 1], 3)
        cost_square = np.cumsum(square)[:m + 1]
        k = np.arange(m + 1)
        best = int(np.lexsort((-k, cost_square, cost_back))[0])
        out[idx[rep & (brk > best)]] = True
    return out
