"""Imports, files into the store: layer import (and a layer written out), an upload by a
signed-in account, and the police events ingest.

The one place the CLI and the API both call, so a file behaves the same whichever way it comes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd

from geo.errors import ImportRejected
from geo.events import parse_events, read_events
from geo.geocode import geocode_events
from geo.io import read_layer_file
from geo.layers import layer_spec
from services.exports import export_layer
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


def import_layer_file(store: Store, layer: str, path: str | Path, *, crs: str | None = None,  # noqa: PLR0913
                      provenance: str | None = None, source: str | None = None,
                      replace: bool = False, source_layer: str | None = None,
                      max_bytes: int | None = None, override_origin: bool = False,
                      actor: Actor | None = None) -> ImportResult:
    """Import every feature of ``path`` into ``layer``, or nothing (raises ``ImportRejected``).

    ``provenance`` and ``source`` fill features that do not state their own; the source defaults
    to the file's name. ``replace`` swaps the layer's contents in the same transaction.
    With ``override_origin`` they replace what the file states (the file cannot forge them).
    """
    spec = layer_spec(layer)
    path = Path(path)
    gdf = read_layer_file(path, spec, crs=crs, source_layer=source_layer, max_bytes=max_bytes)
    if override_origin:
        gdf = gdf.drop(columns=[c for c in ("provenance", "source") if c in gdf.columns])
    source = source if source is not None else f"Importerad från {path.name}"
    if spec.unique_field and not replace:
        inserted, updated = store.upsert(layer, gdf, origin=path.name, provenance=provenance,
                                         source=source, actor=actor, audit="import")
        return ImportResult(layer, path.name, inserted, updated)
    ids = store.insert(layer, gdf, origin=path.name, provenance=provenance, source=source,
                       replace=replace, actor=actor, audit="import")
    return ImportResult(layer, path.name, len(ids), replaced=replace)


API_PROVENANCE = "real"  # entered or uploaded by a signed-in account: first-hand


def import_upload(store: Store, layer: str, path: Path, *, writer: Actor, crs: str | None = None,
                  provenance: str | None = None, replace: bool = False,
                  states_origin: bool = False) -> ImportResult:
    """Import an uploaded file for ``writer``. With ``states_origin`` (admin) the provenance
    given, or the file's own provenance and source columns, are kept; for anyone else the
    server sets them: real, imported from the file by the writer (the file cannot forge them).
    """
    if states_origin:
        return import_layer_file(store, layer, path, crs=crs, provenance=provenance,
                                 replace=replace, actor=writer)
    return import_layer_file(store, layer, path, crs=crs, provenance=API_PROVENANCE,
                             source=f"Importerad från {path.name} av {writer.name}",
                             replace=replace, override_origin=True, actor=writer)


def export_layer_file(store: Store, layer: str, path: str | Path, *,
                      include_sensitive: bool = True) -> int:
    """Write ``layer`` to ``path`` (format from the suffix); return the number of features."""
    return export_layer(store, layer, path, include_sensitive=include_sensitive)


def geocoded_events(source: str | Path, gazetteer: gpd.GeoDataFrame, *,
                    municipality: str | None = None) -> gpd.GeoDataFrame:
    """Read police events from a file or URL and place them from their text.

    ``municipality`` keeps only that municipality's events (all are kept when None).
    """
    raw = read_events(source)
    events = parse_events(raw, origin=Path(str(source)).name)
    if municipality:
        events = events[events["municipality"] == municipality]
    if events.empty:
        raise ImportRejected(f"{Path(str(source)).name}: no events"
                             + (f" for {municipality}" if municipality else ""))
    return geocode_events(events, gazetteer, municipality=municipality or "")


def ingest_events(store: Store, source: str | Path, *, municipality: str | None = None,
                  provenance: str = "real") -> ImportResult:
    """Ingest police events idempotently by their id: new events are added, changed ones updated."""
    gazetteer = store.read("gazetteer")
    if gazetteer.empty:
        raise ImportRejected("the gazetteer layer is empty: import place names first "
                             "(trygg import gazetteer FILE or trygg demo)")
    placed = geocoded_events(source, gazetteer, municipality=municipality)
    inserted, updated = store.upsert("events", placed, origin=Path(str(source)).name,
                                     audit="import", provenance=provenance,
                                     source="Polisens öppna händelse-API; plats tolkad ur texten")
    log.info("events from %s: %d new, %d updated", source, inserted, updated)
    return ImportResult("events", Path(str(source)).name, inserted, updated)
