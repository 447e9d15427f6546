"""The store's gazetteer from real sources: street names from NVDB or OpenStreetMap, places from
OpenStreetMap or Lantmäteriet's GSD-Ortnamn, merged in front of what the store holds (the hand
gazetteer stays as the fallback: on a name the new source's entry wins and keeps the old
entry's aliases and roads). ``trygg gazetteer import`` calls it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.errors import ImportRejected
from geo.gazetteer_sources import (
    gazetteer_from_ortnamn, gazetteer_from_osm, merge_gazetteers, streets_from_nvdb,
)
from geo.layers import SYSTEM_COLUMNS
from geo.nvdb import read_street_names
from services.imports import municipal_boundary
from store import Store
from store.store import Actor

SOURCES = ("osm", "nvdb", "ortnamn")


@dataclass(frozen=True)
class GazetteerImport:
    file: str
    source: str
    entries_read: int
    entries_before: int
    entries_after: int

    @property
    def added(self) -> int:
        return self.entries_after - self.entries_before


def read_source(path: Path, source: str, *, boundary: Any,
                kommunkod: str | None) -> gpd.GeoDataFrame:
    """The gazetteer entries of ``path`` read as ``source`` (one of ``SOURCES``), within the
    municipal ``boundary`` (EPSG:3006)."""
    if source == "osm":
        return gazetteer_from_osm(path, boundary=boundary)
    if source == "ortnamn":
        return gazetteer_from_ortnamn(path, kommunkod=kommunkod, boundary=boundary)
    if source == "nvdb":
        streets = read_street_names(path)
        if streets is None:
            raise ImportRejected(f"{path.name}: NVDB-leveransen har inget gatunamnslager "
                                 "(NVDB_DKGatunamn eller NVDB-Gatunamn)")
        return streets_from_nvdb(streets, boundary=boundary, origin=path.name)
    raise ImportRejected(f"{path.name}: okänd källa {source!r}; välj en av "
                         f"{', '.join(SOURCES)}")


def import_gazetteer(store: Store, path: str | Path, *, source: str,
                     kommunkod: str | None = None, actor: Actor | None = None) -> GazetteerImport:
    """Merge the entries of ``path`` into the store's gazetteer, all or nothing: the new
    entries first, the store's after them (the fallback). Needs the store's municipal
    boundary (``trygg kommun init``): a source's entries outside it are left out."""
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(f"{path}: filen finns inte")
    boundary = municipal_boundary(store)
    if boundary is None:
        raise ImportRejected("lagret har ingen kommungräns: kör först trygg kommun init "
                             "KOMMUNKOD, så att ortnamnen kan begränsas till kommunen")
    entries = read_source(path, source, boundary=boundary, kommunkod=kommunkod)
    if entries.empty:
        raise ImportRejected(f"{path.name}: inga gatu- eller ortnamn inom kommungränsen; "
                             "kontrollera att filen täcker kommunen")
    existing = store.read("gazetteer")
    merged = entries if existing.empty else merge_gazetteers(entries, existing)
    kept = merged.drop(columns=[c for c in SYSTEM_COLUMNS if c in merged.columns])
    store.insert("gazetteer", kept, origin=path.name, replace=True, actor=actor,
                 audit="import")
    return GazetteerImport(path.name, source, len(entries), len(existing), len(merged))
