"""Which municipality a store serves, and setting one up: `trygg kommun init KOMMUNKOD`.

A store remembers its municipality (kommunkod and its promise file, in the store's meta table);
``TRYGG_KOMMUNKOD`` overrides it. Everything else (name, county, local SWEREF 99 zone, map
centre and extent, boundary) comes from the shipped 290 boundaries through
``geo.municipalities``, so nothing in the code names a municipality.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from geo.municipalities import Municipality, municipality
from store.meta import read_meta, write_meta
from store.store import Store
from trygg.settings import Settings

DEFAULT_KOMMUNKOD = "2262"  # the shipped demo's (Timrå), for a store that names none
KOMMUNKOD_KEY = "kommunkod"
PROMISE_KEY = "promise_file"
DEMO_PROMISE = Path("timra") / "medborgarlofte_2023_2024.yaml"

PROMISE_TEMPLATE = """\
# Medborgarlöftet för {name} ({kommunkod}), {county}: fyll i från det undertecknade löftet.
# Varje `text` ska citeras ordagrant ur löftet; `owners` är de parter meningen nämner
# (polisen, kommunen, timrabor = invånarna); `indicators` väljer vilka siffror rapporten visar
# (unsafe_places, events, activities, foot_patrol, traffic_checks).
title: "Medborgarlöfte, Polisen och {name} kommun"
municipality: "{name}"
kommunkod: "{kommunkod}"
source: "ange löftets dokument (titel, datum, var det finns)"
follow_up: "ange hur arbetet följs upp (till exempel vid rådets möten)"
priorities: []
commitments:
  - id: exempel
    short: "Ett åtagande (ersätt med löftets egna)"
    text: "Ersätt med en mening ur löftet, ordagrant."
    owners: [polisen, kommunen]
    indicators:
      events: {{}}
"""


@dataclass(frozen=True)
class ServedMunicipality:
    """The municipality a store serves and where its promise file is."""

    municipality: Municipality
    promise_file: Path


@lru_cache(maxsize=64)
def _municipality(kommunkod: str) -> Municipality:
    return municipality(kommunkod)


def served_municipality(store: Store, settings: Settings) -> ServedMunicipality:
    """The store's municipality: ``TRYGG_KOMMUNKOD``, else the one `trygg kommun init` set up,
    else the shipped demo's."""
    code = settings.kommunkod or read_meta(store, KOMMUNKOD_KEY) or DEFAULT_KOMMUNKOD
    promise = read_meta(store, PROMISE_KEY)
    path = Path(promise) if promise else Path(settings.data_dir) / DEMO_PROMISE
    return ServedMunicipality(municipality=_municipality(code), promise_file=path)


@dataclass(frozen=True)
class InitResult:
    municipality: Municipality
    promise_file: Path
    promise_written: bool  # False when a promise file was there already (kept as it was)


def init_municipality(store: Store, kommunkod: str, *, folder: Path) -> InitResult:
    """Set ``store`` up for ``kommunkod``: its boundary into the boundaries layer (replacing
    the layer), the municipality and a promise file to fill in (``folder``/KOD/
    medborgarlofte.yaml, never overwritten) remembered in the store."""
    m = _municipality(kommunkod)
    promise = Path(folder) / m.kommunkod / "medborgarlofte.yaml"
    written = not promise.exists()
    if written:
        promise.parent.mkdir(parents=True, exist_ok=True)
        promise.write_text(PROMISE_TEMPLATE.format(name=m.name, kommunkod=m.kommunkod,
                                                   county=m.county), encoding="utf-8")
    with store.transaction() as conn:
        store.insert("boundaries", m.boundary_layer(), origin=f"kommun {m.kommunkod}",
                     replace=True, conn=conn, audit="import")
        write_meta(conn, KOMMUNKOD_KEY, m.kommunkod)
        write_meta(conn, PROMISE_KEY, str(promise.resolve()))
    return InitResult(municipality=m, promise_file=promise, promise_written=written)
