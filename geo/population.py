"""Rates per 1,000 inhabitants: records (police events, reports of unsafe places) counted per
population area (SCB's DeSO or RegSO, ``geo.population_areas``) and divided by the area's
population.

An area whose population is 0 or unknown has no rate (None, never infinity). Small numbers
are flagged, not hidden: an area of fewer than ``min_population`` inhabitants, or with fewer
than ``min_count`` records, gets a caution (a rate of 3 events among 40 people is 75 per
1,000 and says little)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_work_crs
from geo.formats import number_sv

PER_INHABITANTS = 1000
MIN_POPULATION = 50  # fewer inhabitants: the rate is flagged
MIN_COUNT = 5  # fewer records: the rate is flagged

CAUTION_SV = {
    "no_population": "folkmängd saknas: ingen takt",
    "zero_population": "inga invånare: ingen takt",
    "small_population": f"färre än {MIN_POPULATION} invånare: takten är osäker",
    "few_records": f"färre än {MIN_COUNT} händelser: slumpen väger tungt",
}


@dataclass(frozen=True)
class AreaRate:
    """One area's count and rate. ``per_1000`` is None when the population is 0 or unknown;
    ``cautions`` are keys of ``CAUTION_SV``."""

    code: str
    name: str
    kind: str
    kommunkod: str | None
    population: int | None
    population_year: int | None
    count: int
    per_1000: float | None
    cautions: tuple[str, ...] = ()

    @property
    def caution_sv(self) -> str:
        return "; ".join(CAUTION_SV[c] for c in self.cautions)

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "cautions": list(self.cautions), "caution_sv": self.caution_sv}


@dataclass(frozen=True)
class PopulationFigures:
    """The report's part on population areas: per area the police events and the reports of
    unsafe places per 1,000 inhabitants for the period, and the survey figures of the areas
    (and of the municipality)."""

    kind: str
    events: list[AreaRate]
    unsafe_places: list[AreaRate]
    surveys: list[dict[str, Any]]
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "events": [r.as_dict() for r in self.events],
                "unsafe_places": [r.as_dict() for r in self.unsafe_places],
                "surveys": self.surveys, "source": self.source}


def count_in_areas(areas: gpd.GeoDataFrame, records: gpd.GeoDataFrame) -> np.ndarray:
    """How many of ``records`` (EPSG:3006) fall in each area, by each record's representative
    point; a point on a border shared by two areas counts once, for the first."""
    require_work_crs(areas, "areas")
    counts = np.zeros(len(areas), dtype=np.int64)
    if records.empty or areas.empty:
        return counts
    require_work_crs(records, "records")
    geoms = np.asarray(records.geometry.values, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    points = shapely.point_on_surface(geoms[present])
    tree = shapely.STRtree(np.asarray(areas.geometry.values, dtype=object))
    point_i, area_i = tree.query(points, predicate="intersects")
    if len(point_i):
        first = pd.DataFrame({"p": point_i, "a": area_i}).sort_values(["p", "a"]) \
            .drop_duplicates("p")
        np.add.at(counts, first["a"].to_numpy(), 1)
    return counts


def rates_per_1000(areas: gpd.GeoDataFrame, records: gpd.GeoDataFrame, *,
                   min_population: int = MIN_POPULATION,
                   min_count: int = MIN_COUNT) -> list[AreaRate]:
    """Per area of ``areas`` (columns ``code``, ``name``, ``kind``, ``population``,
    ``population_year``; EPSG:3006) the records inside it and the rate per 1,000 inhabitants,
    highest rate first (areas without a rate last, by code)."""
    counts = count_in_areas(areas, records)
    out = []
    for (_, row), count in zip(areas.iterrows(), counts, strict=True):
        population = _whole(row.get("population"))
        cautions: list[str] = []
        if population is None:
            cautions.append("no_population")
            rate = None
        elif population == 0:
            cautions.append("zero_population")
            rate = None
        else:
            rate = PER_INHABITANTS * int(count) / population
            if population < min_population:
                cautions.append("small_population")
        if rate is not None and count < min_count:
            cautions.append("few_records")
        out.append(AreaRate(
            code=str(row["code"]), name=str(row.get("name") or row["code"]),
            kind=str(row.get("kind") or ""), kommunkod=_text(row.get("kommunkod")),
            population=population, population_year=_whole(row.get("population_year")),
            count=int(count), per_1000=rate, cautions=tuple(cautions)))
    return sorted(out, key=lambda r: (r.per_1000 is None, -(r.per_1000 or 0.0), r.code))


def rate_text(rate: float | None) -> str:
    """A rate per 1,000 in Swedish, one decimal ("12,3"); "–" for no rate."""
    return number_sv(rate, digits=1)


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]


def _whole(value: object) -> int | None:
    return None if _missing(value) else int(float(str(value)))


def _text(value: object) -> str | None:
    return None if _missing(value) else str(value)
