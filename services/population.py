"""Population and survey areas, the use-cases: SCB's DeSO and RegSO areas imported with their
population (layer ``population_areas``), survey figures (Polisens trygghetsmätning, NTU; table
``survey_figures``) and the rates per 1,000 inhabitants that hotspots and the report show.

The CLI and the API call these; ``geo.population_areas``, ``geo.surveys`` and
``geo.population`` hold the rules."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd

from geo.errors import ImportRejected, ValidationFailed
from geo.hotspots import in_window, inside_area, placed_only
from geo.population import (
    CAUTION_SV, MIN_COUNT, MIN_POPULATION, PopulationFigures, rates_per_1000,
)
from geo.population_areas import (
    AREA_KIND_SV, SCB_POPULATION_SOURCE, read_population_areas, read_population_csv,
)
from geo.surveys import SURVEY_SV, read_survey_csv
from services.access import Viewer, fit_frame, in_kommuner
from store import Store
from store.store import Actor
from store.surveys import read_figures, replace_figures

log = logging.getLogger(__name__)

LAYER = "population_areas"
RATE_LAYERS = ("events", "unsafe_places")
RATE_TIME = {"events": "time", "unsafe_places": "reported_at"}
RATE_LAYER_SV = {"events": "polisens händelser", "unsafe_places": "rapporter om otrygghet"}
# A write to any of these changes the rates (cache keys).
RATE_INPUTS = (LAYER, "events", "unsafe_places", "survey_figures")
SURVEY_SOURCE = {"trygghetsmatning": "Polisens trygghetsmätning",
                 "ntu": "Brå, Nationella trygghetsundersökningen (NTU)"}


@dataclass(frozen=True)
class AreaImport:
    file: str
    kind: str
    inserted: int
    updated: int
    with_population: int
    replaced: bool = False


def store_kommunkoder(store: Store) -> frozenset[str] | None:
    """The kommunkoder of the store's boundaries, or None when they name none."""
    boundaries = store.read("boundaries")
    if boundaries.empty or "kommunkod" not in boundaries:
        return None
    codes = frozenset(str(c) for c in boundaries["kommunkod"].dropna())
    return codes or None


def import_population_areas(store: Store, path: str | Path, *,
                            population: str | Path | None = None,
                            source_layer: str | None = None, crs: str | None = None,
                            replace: bool = False, max_bytes: int | None = None,
                            actor: Actor | None = None) -> AreaImport:
    """SCB's DeSO or RegSO GeoPackage ``path`` into ``population_areas``, the areas of the
    store's municipalities only (by the file's kommun field; without boundaries every area of
    the file), with the population of the CSV ``population`` (SCB's statistical database)
    joined by code. All or nothing: any problem raises ``ImportRejected`` and writes nothing.
    Areas already stored are updated by their code (``replace``: the layer is emptied first)."""
    path = Path(path)
    table = read_population_csv(population, max_bytes=max_bytes) if population else None
    kommunkoder = store_kommunkoder(store)
    areas = read_population_areas(path, layer=source_layer, kommunkoder=kommunkoder,
                                  population=table, crs=crs)
    if kommunkoder is None:
        boundaries = store.read("boundaries")
        if len(boundaries):
            areas, _ = inside_area(areas, boundaries.geometry.union_all())
            if areas.empty:
                raise ImportRejected(f"{path.name}: inget område ligger inom kommungränsen")
    if table is not None:
        csv_name = Path(population or "").name
        if not set(table.index) & set(areas["code"]):
            raise ImportRejected(f"{csv_name}: ingen av koderna ({', '.join(table.index[:5])} "
                                 f"…) finns bland områdena i {path.name}; är det samma "
                                 "indelning (DeSO eller RegSO) och kommun?")
        areas["source"] = areas["source"] + f"; {SCB_POPULATION_SOURCE} ({csv_name})"
    kind = str(areas["kind"].iloc[0])
    if replace:
        ids = store.insert(LAYER, areas, origin=path.name, replace=True, actor=actor,
                           audit="import")
        inserted, updated = len(ids), 0
    else:
        inserted, updated = store.upsert(LAYER, areas, origin=path.name, actor=actor,
                                         audit="import")
    known = int(areas["population"].notna().sum())
    log.info("%s areas from %s: %d new, %d updated, %d with population", kind, path.name,
             inserted, updated, known)
    return AreaImport(path.name, kind, inserted, updated, known, replace)


@dataclass(frozen=True)
class SurveyImport:
    file: str
    inserted: int
    replaced: int


def import_survey_figures(store: Store, path: str | Path, *, survey: str | None = None,
                          provenance: str = "real", source: str | None = None,
                          max_bytes: int | None = None,
                          actor: Actor | None = None) -> SurveyImport:
    """A survey CSV (``geo.surveys``) into ``survey_figures``, all or nothing: figures for the
    same survey, area, year and indicator are replaced, the others kept."""
    path = Path(path)
    figures = read_survey_csv(path, survey=survey, max_bytes=max_bytes)
    named = ", ".join(SURVEY_SOURCE[s] for s in sorted(set(figures["survey"])))
    inserted, replaced = replace_figures(
        store, figures, origin=path.name, provenance=provenance, actor=actor,
        source=source if source is not None else f"{named}; importerad från {path.name}")
    return SurveyImport(path.name, inserted, replaced)


def survey_figures(store: Store, *, area_codes: list[str] | None = None) -> pd.DataFrame:
    """The stored survey figures (public: shares of a sample, no records)."""
    return read_figures(store, area_codes=area_codes)


# --- rates per 1,000 inhabitants ------------------------------------------------------------------

def areas_of(store: Store, *, kind: str, kommuner: frozenset[str] | None) -> gpd.GeoDataFrame:
    if kind not in AREA_KIND_SV:
        raise ValidationFailed(f"kind: {kind!r} är varken deso eller regso")
    areas = in_kommuner(store.read(LAYER), kommuner)
    return areas[areas["kind"] == kind]


def rate_records(frame: gpd.GeoDataFrame, layer: str, *, start: object, end: object,
                 event_type: str | None = None) -> gpd.GeoDataFrame:
    """The records of ``layer`` a rate counts: in [start, end), placed (events placed only
    as the municipality or county are not in any area) and of ``event_type`` if given."""
    records = in_window(frame, time_column=RATE_TIME[layer], start=start, end=end)
    if layer == "events":
        records, _ = placed_only(records)
        if event_type:
            records = records[records["type"] == event_type]
    return records


def area_rates(store: Store, viewer: Viewer, *, start: date, end: date,
               layer: Literal["events", "unsafe_places"] = "events", kind: str = "deso",
               event_type: str | None = None) -> dict[str, Any]:
    """Per area the records of ``layer`` over the local days ``start`` … ``end`` (both
    included) and the rate per 1,000 inhabitants, for ``viewer``: the records it may read only
    (no sensitive records outside the police roles)."""
    if layer not in RATE_LAYERS:
        raise ValidationFailed(f"layer: {layer!r} är varken events eller unsafe_places")
    areas = areas_of(store, kind=kind, kommuner=viewer.kommuner)
    records = rate_records(fit_frame(layer, store.read(layer), viewer), layer,
                           start=start, end=end + timedelta(days=1), event_type=event_type)
    rates = rates_per_1000(areas, records)
    return {
        "per": 1000, "kind": kind, "kind_sv": AREA_KIND_SV[kind], "layer": layer,
        "layer_sv": RATE_LAYER_SV[layer], "from": start.isoformat(), "to": end.isoformat(),
        "event_type": event_type, "min_population": MIN_POPULATION, "min_count": MIN_COUNT,
        "cautions_sv": CAUTION_SV, "without_sensitive": not viewer.sees_sensitive,
        "provenance": sorted(set(areas["provenance"])) if len(areas) else [],
        "source": "; ".join(sorted(set(areas["source"].dropna()))) if len(areas) else "",
        "areas": [r.as_dict() for r in rates],
        "note_sv": None if len(areas) else (
            f"Inga {AREA_KIND_SV[kind]}-områden är importerade: trygg import population_areas "
            "DeSO.gpkg --population folkmangd.csv"),
    }


def report_population(store: Store, *, start: pd.Timestamp, end: pd.Timestamp,
                      events: gpd.GeoDataFrame, unsafe_places: gpd.GeoDataFrame,
                      kommuner: frozenset[str] | None) -> PopulationFigures | None:
    """The report's population part for [start, end) from the report's own frames (already
    without sensitive records), or None when the store has neither areas nor survey figures.
    DeSO areas when there are any, else RegSO."""
    stored = in_kommuner(store.read(LAYER), kommuner)
    kind = "deso" if (stored["kind"] == "deso").any() else "regso"
    areas = stored[stored["kind"] == kind]
    surveys = survey_figures(store)
    if kommuner is not None:  # a police area's report for one municipality: its areas' own
        codes = set(areas["code"]) | set(kommuner)
        surveys = surveys[surveys["area_code"].isin(sorted(codes))
                          | (surveys["area_kind"] == "polisomrade")]
    if areas.empty and surveys.empty:
        return None
    lo, hi = start, end
    return PopulationFigures(
        kind=kind,
        events=rates_per_1000(areas, rate_records(events, "events", start=lo, end=hi)),
        unsafe_places=rates_per_1000(areas, rate_records(unsafe_places, "unsafe_places",
                                                         start=lo, end=hi)),
        surveys=[{**{str(k): (None if pd.isna(v) else v) for k, v in row.items()},
                  "survey_sv": SURVEY_SV.get(str(row["survey"]), str(row["survey"]))}
                 for row in surveys.drop(columns=["id", "imported_at"]).to_dict("records")],
        source="; ".join(sorted(set(areas["source"].dropna()))) if len(areas) else "")
