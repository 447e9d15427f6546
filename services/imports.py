"""Imports, files into the store: layer import (and a layer written out), an upload by a
signed-in account, and the police events ingest.

The one place the CLI and the API both call, so a file behaves the same whichever way it comes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd

from geo.errors import ImportRejected
from geo.events import parse_events, read_events
from geo.geocode import geocode_events
from geo.io import read_layer_file
from geo.io.formats import FORMATS
from geo.layers import layer_spec
from geo.population_areas import is_scb_file
from services.exports import export_layer
from services.file_progress import Progress, read_with_progress
from sources.polisen import fetch_events, is_url
from store import Store
from store.store import Actor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportResult:
    layer: str
    file: str
    inserted: int
    updated: int = 0
    replaced: bool = False


@dataclass(frozen=True, kw_only=True)
class ImportOptions:
    """How a file is read and written into a layer.

    ``crs`` names a file's CRS when it states none (or E/N columns'); ``file_type="nvdb"`` reads
    a Trafikverket NVDB delivery into risk roads, clipped to the store's municipal boundary;
    ``provenance`` and ``source`` fill features that do not state their own (the source defaults
    to the file's name), or with ``override_origin`` replace what the file states (it cannot
    forge them); ``replace`` swaps the layer's contents in the same transaction. An OSM file
    is clipped to the municipal boundary too, streamed; ``progress(bytes_read, size)`` is
    called while it reads (the CLI's progress bar)."""

    crs: str | None = None
    file_type: str | None = None
    source_layer: str | None = None
    provenance: str | None = None
    source: str | None = None
    replace: bool = False
    override_origin: bool = False
    max_bytes: int | None = None
    progress: Progress | None = None


def import_layer_file(store: Store, layer: str, path: str | Path,
                      options: ImportOptions | None = None, *,
                      actor: Actor | None = None) -> ImportResult:
    """Import every feature of ``path`` into ``layer``, or nothing (raises ``ImportRejected``)."""
    o = options or ImportOptions()
    spec = layer_spec(layer)
    path = Path(path)
    if layer == "population_areas" and is_scb_file(path):  # SCB's own DeSO/RegSO GeoPackage
        from services.population import import_population_areas

        done = import_population_areas(store, path, source_layer=o.source_layer, crs=o.crs,
                                       replace=o.replace, max_bytes=o.max_bytes, actor=actor)
        return ImportResult(layer, done.file, done.inserted, done.updated, done.replaced)
    osm = o.file_type is None and FORMATS.get(path.suffix.lower()) == "osm"
    boundary = municipal_boundary(store) if o.file_type == "nvdb" or osm else None
    read = partial(read_layer_file, path, spec, crs=o.crs, source_layer=o.source_layer,
                   max_bytes=o.max_bytes, file_type=o.file_type, boundary=boundary)
    gdf = read_with_progress(read, path, o.progress) if osm and o.progress and path.is_file() \
        else read()
    if o.override_origin:
        gdf = gdf.drop(columns=[c for c in ("provenance", "source") if c in gdf.columns])
    source = o.source if o.source is not None else f"Importerad från {path.name}"
    if spec.unique_fields and not o.replace:
        inserted, updated = store.upsert(layer, gdf, origin=path.name, provenance=o.provenance,
                                         source=source, actor=actor, audit="import")
        return ImportResult(layer, path.name, inserted, updated)
    ids = store.insert(layer, gdf, origin=path.name, provenance=o.provenance, source=source,
                       replace=o.replace, actor=actor, audit="import")
    return ImportResult(layer, path.name, len(ids), replaced=o.replace)


def municipal_boundary(store: Store) -> Any:
    """The union of the store's municipal boundaries (EPSG:3006), or None when it has none."""
    boundaries = store.read("boundaries")
    return None if boundaries.empty else boundaries.geometry.union_all()


API_PROVENANCE = "real"  # entered or uploaded by a signed-in account: first-hand


def import_upload(store: Store, layer: str, path: Path, *, writer: Actor, crs: str | None = None,
                  provenance: str | None = None, replace: bool = False,
                  states_origin: bool = False) -> ImportResult:
    """Import an uploaded file for ``writer``. With ``states_origin`` (admin) the provenance
    given, or the file's own provenance and source columns, are kept; for anyone else the
    server sets them: real, imported from the file by the writer (the file cannot forge them).
    """
    if states_origin:
        options = ImportOptions(crs=crs, provenance=provenance, replace=replace)
    else:
        options = ImportOptions(crs=crs, provenance=API_PROVENANCE, replace=replace,
                                source=f"Importerad från {path.name} av {writer.name}",
                                override_origin=True)
    return import_layer_file(store, layer, path, options, actor=writer)


def export_layer_file(store: Store, layer: str, path: str | Path, *,
                      include_sensitive: bool = True) -> int:
    """Write ``layer`` to ``path`` (format from the suffix); return the number of features."""
    return export_layer(store, layer, path, include_sensitive=include_sensitive)


EVENTS_SOURCE = "Polisens öppna händelse-API; plats tolkad ur texten"


def raw_events(source: str | Path) -> list[dict[str, Any]]:
    """The raw police events of a file, or of an http(s) address read politely once."""
    return fetch_events(str(source)) if is_url(source) else read_events(source)


def place_events(raw: list[dict[str, Any]], gazetteer: gpd.GeoDataFrame, *, origin: str,
                 municipality: str | None) -> gpd.GeoDataFrame:
    """Parse raw events, keep ``municipality``'s (all when None) and place them from their text;
    may be empty. A summary ("Sammanfattning natt") naming places in different sentences becomes
    one record per sentence (``part`` 1, 2, …), one naming several in one sentence stays whole
    with precision "several" (``geo.geocode.place_summary``)."""
    events = parse_events(raw, origin=origin)
    if municipality:
        events = events[events["municipality"] == municipality]
    return geocode_events(events, gazetteer, municipality=municipality or "",
                          split_summaries=True)


def geocoded_events(source: str | Path, gazetteer: gpd.GeoDataFrame, *,
                    municipality: str | None = None) -> gpd.GeoDataFrame:
    """Read police events from a file or URL and place them from their text.

    ``municipality`` keeps only that municipality's events (all are kept when None).
    """
    origin = Path(str(source)).name
    placed = place_events(raw_events(source), gazetteer, origin=origin, municipality=municipality)
    if placed.empty:
        raise ImportRejected(f"{origin}: filen har inga polishändelser"
                             + (f" för {municipality}" if municipality else "")
                             + "; kontrollera att det är rätt fil (Polisens händelser som JSON) "
                             "och rätt kommun")
    return placed


def store_gazetteer(store: Store) -> gpd.GeoDataFrame:
    """The store's gazetteer, which placing events needs; refused when it is empty."""
    gazetteer = store.read("gazetteer")
    if gazetteer.empty:
        raise ImportRejected("lagret Ortnamn (gazetteer) är tomt, så händelserna kan inte "
                             "placeras: importera ortnamn först (trygg import gazetteer FIL "
                             "eller trygg demo)")
    return gazetteer


def upsert_events(store: Store, placed: gpd.GeoDataFrame, *, origin: str,
                  provenance: str = "real") -> tuple[int, int]:
    """Placed events into the store by (event id, part): (records inserted, updated). The
    records of an event replace all it had (``replace_by``): a summary split since it was
    stored, or no longer split, leaves no stale part behind."""
    if placed.empty:
        return 0, 0
    return store.upsert("events", placed, origin=origin, audit="import", provenance=provenance,
                        source=EVENTS_SOURCE, replace_by="event_id")


def ingest_events(store: Store, source: str | Path, *, municipality: str | None = None,
                  provenance: str = "real") -> ImportResult:
    """Ingest police events idempotently by (event id, part): new records are added, changed
    ones updated (counts of records: a split summary is one per part)."""
    placed = geocoded_events(source, store_gazetteer(store), municipality=municipality)
    origin = Path(str(source)).name
    inserted, updated = upsert_events(store, placed, origin=origin, provenance=provenance)
    log.info("events from %s: %d new, %d updated", source, inserted, updated)
    return ImportResult("events", origin, inserted, updated)
