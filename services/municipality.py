"""Which municipality a store serves, and setting one up: `trygg kommun init KOMMUNKOD …`,
`trygg polisomrade init NAME`.

A store remembers its municipality (kommunkod and its promise file, in the store's meta table),
or the municipalities of a police area (several kommunkoder, each with its own promise file; the
first is the default); ``TRYGG_KOMMUNKOD`` overrides the default. Everything else (name,
county, local SWEREF 99 zone, map centre and extent, boundary) comes from the shipped 290
boundaries through ``geo.municipalities``, so nothing in the code names a municipality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from geo.errors import NotFound, ValidationFailed
from geo.municipalities import Municipality, area_boundaries, area_extent_wgs84, municipality
from geo.police_areas import police_area
from store.meta import read_metas, write_meta
from store.schema import meta_table
from store.store import Store
from trygg.settings import Settings

DEFAULT_KOMMUNKOD = "2262"  # the shipped demo's (Timrå), for a store that names none
KOMMUNKOD_KEY = "kommunkod"
PROMISE_KEY = "promise_file"
AREA_KEY = "kommunkoder"  # a police area's municipalities, comma-separated, the default first
AREA_NAME_KEY = "police_area"  # the police area's name, when set up by name
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
    """The municipality a store serves (or, of a police area, the one asked for) and where its
    promise file is; ``area`` is every municipality of the store (one for a single municipality),
    ``promise_files`` each one's promise file by kommunkod."""

    municipality: Municipality
    promise_file: Path
    area: tuple[Municipality, ...] = ()
    area_name: str | None = None
    promise_files: dict[str, Path] = field(default_factory=dict)

    @property
    def kommunkoder(self) -> tuple[str, ...]:
        return tuple(m.kommunkod for m in self.area) or (self.municipality.kommunkod,)

    @property
    def is_area(self) -> bool:
        return len(self.area) > 1

    @property
    def title(self) -> str:
        """What pages call the store's area: the police area, or the municipality's name."""
        if not self.is_area:
            return self.municipality.name
        return (f"lokalpolisområde {self.area_name}" if self.area_name
                else ", ".join(m.name for m in self.area))

    @property
    def extent_wgs84(self) -> tuple[float, float, float, float]:
        """The map extent: every municipality of the area together."""
        return area_extent_wgs84(self.area or (self.municipality,))


@lru_cache(maxsize=64)
def _municipality(kommunkod: str) -> Municipality:
    return municipality(kommunkod)


def _promise_key(kommunkod: str) -> str:
    return f"{PROMISE_KEY}:{kommunkod}"


def served_municipality(store: Store, settings: Settings, *,
                        kommun: str | None = None) -> ServedMunicipality:
    """The store's municipality: ``kommun`` (a kommunkod of the store's area), else
    ``TRYGG_KOMMUNKOD``, else the first one `trygg kommun init` set up, else the shipped demo's.
    A ``kommun`` outside the area is refused (``NotFound``) naming the area's kommunkoder."""
    meta = read_metas(store, keys=(AREA_KEY, KOMMUNKOD_KEY, PROMISE_KEY, AREA_NAME_KEY),
                      prefix=f"{PROMISE_KEY}:")
    stored = meta.get(AREA_KEY) or meta.get(KOMMUNKOD_KEY) or ""
    codes = [c for c in stored.split(",") if c]
    if settings.kommunkod and settings.kommunkod not in codes:
        codes = [settings.kommunkod]
    codes = codes or [DEFAULT_KOMMUNKOD]
    default = settings.kommunkod or codes[0]
    code = (kommun or "").strip() or default
    if code not in codes:
        raise NotFound(f"kommun: {code[:10]!r} hör inte till området; välj en av "
                       f"{', '.join(codes)}")
    files = {c: Path(p) for c in codes if (p := meta.get(_promise_key(c)))}
    single = meta.get(PROMISE_KEY)
    if single and codes[0] not in files:
        files[codes[0]] = Path(single)
    path = files.get(code) or Path(settings.data_dir) / DEMO_PROMISE
    return ServedMunicipality(
        municipality=_municipality(code), promise_file=path,
        area=tuple(_municipality(c) for c in codes), area_name=meta.get(AREA_NAME_KEY),
        promise_files=files)


@dataclass(frozen=True)
class InitResult:
    municipality: Municipality
    promise_file: Path
    promise_written: bool  # False when a promise file was there already (kept as it was)


def _promise_file(m: Municipality, folder: Path) -> InitResult:
    promise = Path(folder) / m.kommunkod / "medborgarlofte.yaml"
    written = not promise.exists()
    if written:
        promise.parent.mkdir(parents=True, exist_ok=True)
        promise.write_text(PROMISE_TEMPLATE.format(name=m.name, kommunkod=m.kommunkod,
                                                   county=m.county), encoding="utf-8")
    return InitResult(municipality=m, promise_file=promise, promise_written=written)


def init_area(store: Store, kommunkoder: list[str] | tuple[str, ...], *, folder: Path,
              name: str | None = None) -> list[InitResult]:
    """Set ``store`` up for one municipality or a police area's several: their boundaries into
    the boundaries layer (replacing it; the records that name no kommunkod get the one of the
    boundary they are in), and per municipality a promise file to fill in (``folder``/KOD/
    medborgarlofte.yaml, never overwritten), remembered in the store; the first is the default.
    ``name`` is the police area's name pages show."""
    codes = list(dict.fromkeys(str(c).strip() for c in kommunkoder))
    if not codes:
        raise ValidationFailed("kommunkod: ange minst en kommunkod, t.ex. 2262")
    ms = [_municipality(c) for c in codes]
    done = [_promise_file(m, folder) for m in ms]
    with store.transaction() as conn:
        store.insert("boundaries", area_boundaries(codes), origin=f"kommun {','.join(codes)}",
                     replace=True, conn=conn, audit="import")
        write_meta(conn, KOMMUNKOD_KEY, codes[0])
        write_meta(conn, AREA_KEY, ",".join(codes))
        write_meta(conn, PROMISE_KEY, str(done[0].promise_file.resolve()))
        for d in done:
            write_meta(conn, _promise_key(d.municipality.kommunkod),
                       str(d.promise_file.resolve()))
        if name:
            write_meta(conn, AREA_NAME_KEY, name)
        else:
            conn.execute(meta_table.delete().where(meta_table.c.key == AREA_NAME_KEY))
    return done


def init_municipality(store: Store, kommunkod: str, *, folder: Path) -> InitResult:
    """Set ``store`` up for ``kommunkod`` alone (``init_area`` with one municipality)."""
    return init_area(store, [kommunkod], folder=folder)[0]


def init_police_area(store: Store, name: str, *, folder: Path) -> tuple[str, list[InitResult]]:
    """Set ``store`` up for the police area ``name`` of the shipped table
    (``geo.police_areas``): its municipalities, the first the default; returns its name."""
    area = police_area(name)
    return area.name, init_area(store, area.kommunkoder, folder=folder, name=area.name)


def viewer_municipality(store: Store, settings: Settings, *, kommuner: frozenset[str] | None,
                        kommun: str | None = None) -> ServedMunicipality:
    """The municipality an account limited to ``kommuner`` (None: not limited) asks for:
    ``kommun``, else the area's default, or for a limited account the first of the area's
    that is one of its own. A municipality outside the area or the account's is ``NotFound``."""
    if kommuner is None:
        return served_municipality(store, settings, kommun=kommun)
    area = served_municipality(store, settings).kommunkoder
    own = [c for c in area if c in kommuner]
    chosen = (kommun or "").strip() or (own[0] if own else "")
    if chosen not in own:
        raise NotFound(f"kommun: {chosen[:10]!r} hör inte till dina kommuner; välj en av "
                       f"{', '.join(own) or 'inga'}")
    return served_municipality(store, settings, kommun=chosen)
