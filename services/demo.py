"""The demo: loading the shipped Timrå demo (data/timra/) into a store, in one transaction."""

from __future__ import annotations

import json
from pathlib import Path

from geo.errors import ImportRejected
from geo.gazetteer import read_gazetteer
from geo.io import read_layer_file
from geo.layers import layer_spec
from services.imports import geocoded_events
from store import Store
from store.meta import read_meta, write_meta
from store.store import utc_now

MUNICIPALITY = "Timrå"
# File → layer, in loading order. Each file states its own provenance per feature.
DEMO_FILES = {
    "boundaries": "boundary.geojson",
    "risk_roads": "risk_roads.geojson",
    "patrol_zones": "patrol_zones.geojson",
    "unsafe_places": "unsafe_places.geojson",
    "traffic_checks": "traffic_checks.geojson",
    "patrols": "patrols.geojson",
    "activities": "activities_illustrative.geojson",
    "promise_actions": "promise_actions_illustrative.geojson",
}
GAZETTEER_FILE = "gazetteer.json"
EVENTS_FILE = "police_events_2023_2024.json"
BOUNDARY_SOURCE = ("okfse/sweden-geojson (CC0), från Valmyndighetens data, förenklad; "
                   "kommunkod 2262")


def demo_loaded_at(store: Store) -> str | None:
    """When the demo was last loaded into ``store`` (ISO text), or None."""
    return read_meta(store, "demo_loaded_at")


def load_demo(store: Store, data_dir: Path) -> dict[str, int]:
    """Replace the demo layers of ``store`` with the files in ``data_dir/timra``; return counts.

    Everything happens in one transaction: a broken file leaves the store as it was.
    """
    folder = Path(data_dir) / "timra"
    missing = [name for name in [*DEMO_FILES.values(), GAZETTEER_FILE, EVENTS_FILE]
               if not (folder / name).is_file()]
    if missing:
        raise ImportRejected(f"demodata saknas i {folder}: {', '.join(missing)}; bygg om den "
                             "med python data/build_demo.py")
    gazetteer = read_gazetteer(folder / GAZETTEER_FILE)
    events = geocoded_events(folder / EVENTS_FILE, gazetteer, municipality=MUNICIPALITY)
    frames = {layer: read_layer_file(folder / name, layer_spec(layer))
              for layer, name in DEMO_FILES.items()}
    # The boundary keeps its source's property names (kom_namn, id = kommunkod).
    frames["boundaries"] = frames["boundaries"].rename(
        columns={"kom_namn": "name", "id": "kommunkod"}).drop(columns=["geo_point_2d"],
                                                              errors="ignore")
    counts: dict[str, int] = {}
    with store.transaction() as conn:
        counts["gazetteer"] = len(store.insert("gazetteer", gazetteer, origin=GAZETTEER_FILE,
                                               replace=True, conn=conn))
        store.clear("events", conn=conn)
        inserted, _ = store.upsert("events", events, origin=EVENTS_FILE, provenance="real",
                                   source="Polisens öppna händelse-API; plats tolkad ur texten",
                                   conn=conn)
        counts["events"] = inserted
        for layer, frame in frames.items():
            source = BOUNDARY_SOURCE if layer == "boundaries" else None
            provenance = "real" if layer == "boundaries" else None
            counts[layer] = len(store.insert(layer, frame, origin=DEMO_FILES[layer],
                                             provenance=provenance, source=source,
                                             replace=True, conn=conn))
        write_meta(conn, "demo_loaded_at", utc_now())
        write_meta(conn, "demo_counts", json.dumps(counts))
    return counts
