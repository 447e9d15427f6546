"""The options of foot-patrol coverage (``geo.coverage``), with their units and defaults, checked
once when the options are made."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import replace
from typing import TypedDict

import numpy as np

from geo.errors import ValidationFailed

DEFAULT_REACH_M = 50.0
DEFAULT_VISIT_GAP_MIN = 15.0
DEFAULT_CELL_M = 2.5
DEFAULT_MAX_PING_GAP_MIN = 10.0  # TRYGG_MAX_PING_GAP_MIN: a longer silence is a gap, not presence
KOPER_VISIT_MIN = 10.0
KOPER_MAX_GAP_H = 2.0


@dataclass(frozen=True, kw_only=True)
class CoverageOptions:
    """How patrol coverage is measured.

    ``reach_m``: street coverage counts what lies this close to a track; ``visit_gap_min``:
    absences shorter than this join two entries into one visit; ``cell_m``: the cell of the zone
    grids (speed only: shares are exact); ``max_ping_gap_min``: pings further apart than this are
    a gap, not presence; ``koper_visit_min`` and ``koper_max_gap_h``: the Koper-curve dosage (visits
    of at least that long, no more than that between them)."""

    reach_m: float = DEFAULT_REACH_M
    visit_gap_min: float = DEFAULT_VISIT_GAP_MIN
    cell_m: float = DEFAULT_CELL_M
    max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN
    koper_visit_min: float = KOPER_VISIT_MIN
    koper_max_gap_h: float = KOPER_MAX_GAP_H

    def __post_init__(self) -> None:
        problems = []
        if not (np.isfinite(self.max_ping_gap_min) and 0 < self.max_ping_gap_min <= 24 * 60):
            problems.append(f"max_ping_gap_min: {self.max_ping_gap_min!r} ligger utanför "
                            "0–1440 min")
        if not (np.isfinite(self.reach_m) and 0 < self.reach_m <= 1000):
            problems.append(f"reach_m: {self.reach_m!r} ligger utanför 0–1000 m")
        if not (np.isfinite(self.visit_gap_min) and 0 <= self.visit_gap_min <= 24 * 60):
            problems.append(f"visit_gap_min: {self.visit_gap_min!r} ligger utanför 0–1440 min")
        if not (np.isfinite(self.cell_m) and 0.5 <= self.cell_m <= 50):
            problems.append(f"cell_m: {self.cell_m!r} ligger utanför 0,5–50 m")
        if problems:
            raise ValidationFailed("täckningens inställningar stämmer inte: " + "; ".join(problems),
                                   problems)

    @property
    def gap_s(self) -> float:
        """``visit_gap_min`` in seconds."""
        return self.visit_gap_min * 60.0

    @property
    def max_ping_gap_s(self) -> float:
        return self.max_ping_gap_min * 60.0

    @property
    def margin_m(self) -> float:
        """How far each zone's grid reaches beyond the zone: segments shorter than this are looked
        at only in the grids their first vertex lies in."""
        return self.reach_m + 2 * self.cell_m


class CoverageKeywords(TypedDict, total=False):
    """The fields of ``CoverageOptions`` as keywords (``patrol_coverage(..., reach_m=25)``)."""

    reach_m: float
    visit_gap_min: float
    cell_m: float
    max_ping_gap_min: float
    koper_visit_min: float
    koper_max_gap_h: float


def coverage_options(options: CoverageOptions | None, keywords: CoverageKeywords
                     ) -> CoverageOptions:
    """``options`` (default ``CoverageOptions()``) with the fields given as keywords replaced."""
    base = options if options is not None else CoverageOptions()
    return replace(base, **keywords) if keywords else base
