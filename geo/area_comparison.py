"""The comparison across a police area's municipalities: events per type per municipality in a
period (e.g. "Trafikkontroll": Timrå 25, Härnösand 70, Sundsvall 161 in 2022-09 … 2024-12 of the
shared national events). Pure: the caller hands in the events a viewer may see.

A record belongs to the municipality of its ``kommunkod`` (set by the store from the boundary its
point is in); a police event's point is the centre of its municipality unless its text placed it
better, so the count equals the events the Police API lists under that municipality's name.
Days are local (Swedish time, ``geo.periods``): ``first`` 00:00 to the end of ``last``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from geo.periods import LOCAL_TZ

COMPARISON_TITLE_SV = "Jämförelse mellan kommunerna"


@dataclass(frozen=True)
class AreaComparison:
    """Counts per event type (rows) and municipality (columns, in the area's order)."""

    first: date
    last: date
    kommuner: tuple[tuple[str, str], ...]  # (kommunkod, name)
    counts: pd.DataFrame  # index: type; columns: kommunkod; int

    def as_dict(self) -> dict[str, Any]:
        """The table as JSON: the period, the municipalities, and one row per type with its
        count per kommunkod and the total."""
        return {
            "title": COMPARISON_TITLE_SV,
            "from": self.first.isoformat(), "to": self.last.isoformat(),
            "kommuner": [{"kommunkod": k, "name": n} for k, n in self.kommuner],
            "rows": [{"type": str(kind), "counts": {k: int(row[k]) for k, _ in self.kommuner},
                      "total": int(row.sum())} for kind, row in self.counts.iterrows()],
            "totals": {k: int(self.counts[k].sum()) for k, _ in self.kommuner},
        }


def local_bounds(first: date, last: date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC instants of local ``first`` 00:00 and of the day after ``last`` 00:00."""
    start = pd.Timestamp(first).tz_localize(LOCAL_TZ)
    end = pd.Timestamp(last + timedelta(days=1)).tz_localize(LOCAL_TZ)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def area_comparison(events: pd.DataFrame, kommuner: Mapping[str, str], *, first: date,
                    last: date, types: Sequence[str] | None = None) -> AreaComparison:
    """Events per ``type`` and ``kommunkod`` with ``time`` in the local days ``first`` …
    ``last``; ``kommuner`` (kommunkod → name, in order) are the columns, events of others are
    left out. ``types`` keeps those types, in that order (a type without events counts 0);
    else every type present, the most frequent first. A police event counts once per
    municipality, however many parts of a split summary it has there."""
    codes = list(kommuner)
    start, end = local_bounds(first, last)
    times = pd.to_datetime(events["time"], utc=True)
    keep = (times >= start) & (times < end) & events["kommunkod"].isin(codes)
    if "event_id" in events:  # the parts of a split summary are one police event
        keep &= ~events.duplicated(["event_id", "kommunkod"])
    chosen = events.loc[keep.to_numpy(), ["type", "kommunkod"]]
    if types is not None:
        chosen = chosen[chosen["type"].isin(list(types))]
    table = pd.crosstab(chosen["type"], chosen["kommunkod"]) if len(chosen) else \
        pd.DataFrame(dtype=int)
    table = table.reindex(columns=codes, fill_value=0)
    if types is not None:
        table = table.reindex(list(types), fill_value=0)
    else:
        table = table.loc[table.sum(axis=1).sort_values(ascending=False, kind="stable").index]
    return AreaComparison(first=first, last=last,
                          kommuner=tuple((k, kommuner[k]) for k in codes),
                          counts=table.fillna(0).astype(int))
