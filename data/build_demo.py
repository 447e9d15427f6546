"""Rebuild the Timrå demo's derived, illustrative and simulated layers in data/timra/.

Run from the repository root::

    .venv/bin/python data/build_demo.py

It first copies the real source files from ``../shared`` (next to the repository) into
``data/timra/`` (when ``../shared`` is missing the copies already there are used), then writes
GeoJSON (RFC 7946, WGS84, 6 decimals) with ``provenance`` and ``source`` on every feature and a
top-level ``name``, ``provenance`` and ``description``:

* ``patrol_zones.geojson``   illustrative: foot-patrol zones in central Timrå
* ``unsafe_places.geojson``  illustrative: a safety walk's worth of generic unsafe places
* ``patrols.geojson``        simulated: three months of foot patrol (geo.simulate, seed 2262)
* ``risk_roads.geojson``     derived: schematic roads weighted by real traffic events; the
  categories buskörning and A-traktor from the real events that name them, else illustrative
* ``traffic_checks.geojson`` derived: the real Trafikkontroll events as performed checks

Everything is deterministic: the same inputs give byte-identical files. See data/README.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # running as a script puts data/ first on the path, not the root
    sys.path.insert(0, str(ROOT))

from geo.crs import WEB_CRS, WORK_CRS  # noqa: E402
from geo.events import parse_events, read_events  # noqa: E402
from geo.gazetteer import gazetteer_roads, read_gazetteer  # noqa: E402
from geo.geocode import geocode_events  # noqa: E402
from geo.layers import layer_spec  # noqa: E402
from geo.periods import LOCAL_TZ  # noqa: E402
from geo.riskprofile import title_time  # noqa: E402
from geo.vocabulary import RISK_CATEGORY_SV  # noqa: E402
from geo.road_risk import (  # noqa: E402
    distinct_events, reweight_roads, road_event_pairs, streets_named, traffic_mask,
)
from geo.schematic import schematic_roads  # noqa: E402
from geo.simulate import PatrolSchedule, simulate_foot_patrols  # noqa: E402

log = logging.getLogger("build_demo")

OUT_DIR = ROOT / "data" / "timra"
SHARED_DIR = ROOT.parent / "shared"
MUNICIPALITY = "Timrå"
SEED = 2262  # Timrå's kommunkod
COORDINATE_DECIMALS = 6  # about 0.1 m
PATROL_START = pd.Timestamp("2024-09-01 00:00", tz=LOCAL_TZ)
PATROL_END = pd.Timestamp("2024-12-01 00:00", tz=LOCAL_TZ)  # through 30 November
EVENTS_SOURCE = "Polisens öppna händelse-API (polisen.se/api/events), Timrå 2023–2024"
CHECKS_SOURCE = "Polisens öppna händelse-API (Trafikkontroll); plats tolkad ur händelsetexten"

# Shared file → shipped copy.
COPIES = {
    "data/timra_kommun_boundary.geojson": "boundary.geojson",
    "data/timra_gazetteer.json": "gazetteer.json",
    "data/polisen_events_timra_2023_2024.json": "police_events_2023_2024.json",
    "medborgarlofte_timra_2023_2024.txt": "medborgarlofte_timra_2023_2024.txt",
}



# --- writing --------------------------------------------------------------------------------------

def _json_value(value: Any) -> Any:
    """A property value as plain JSON: UTC timestamps as "…Z", NaN/NaT as null, numpy as Python."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(v) for v in list(value)]
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    return value


def write_collection(path: Path, gdf: gpd.GeoDataFrame, *, name: str, provenance: str,
                     description: str, members: dict[str, Any] | None = None) -> None:
    """Write ``gdf`` as an RFC 7946 FeatureCollection in WGS84 (6 decimals, polygons counter-
    clockwise), one feature per line, with top-level name, provenance and description."""
    web = gdf.to_crs(WEB_CRS)
    geoms = np.asarray(web.geometry.values, dtype=object)
    geoms = shapely.orient_polygons(geoms, exterior_cw=False)
    geoms = shapely.transform(geoms, lambda c: np.round(c, COORDINATE_DECIMALS))
    columns = [c for c in web.columns if c != web.geometry.name]
    lines = []
    for props, geom in zip(web[columns].to_dict("records"), geoms, strict=True):
        feature = {"type": "Feature",
                   "geometry": shapely.geometry.mapping(geom),
                   "properties": {k: _json_value(v) for k, v in props.items()}}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = {"type": "FeatureCollection", "name": name, "provenance": provenance,
            "description": description, **(members or {})}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    path.write_text(text + ',"features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")
    log.info("wrote %s (%s features, %s bytes)", path.name, f"{len(gdf):,}",
             f"{path.stat().st_size:,}")


# --- sources --------------------------------------------------------------------------------------

def copy_sources(out_dir: Path, shared_dir: Path) -> None:
    """Copy the real source files from ``shared_dir``; keep the shipped copies when it is absent."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for src_name, dst_name in COPIES.items():
        src, dst = shared_dir / src_name, out_dir / dst_name
        if src.is_file():
            shutil.copyfile(src, dst)
        elif not dst.is_file():
            raise FileNotFoundError(f"{src} is missing and there is no shipped copy {dst}")
        else:
            log.info("%s not found; using the shipped %s", src, dst.name)


def _point(gazetteer: gpd.GeoDataFrame, name: str) -> np.ndarray:
    row = gazetteer.loc[gazetteer["name"] == name]
    if row.empty:
        raise KeyError(f"gazetteer: no place named {name!r}")
    return shapely.get_coordinates(row.geometry.values[0])[0]


# --- patrol zones ---------------------------------------------------------------------------------

def _blob(center: np.ndarray, *, half_width_m: float, half_height_m: float, rotation_deg: float,
          rng: np.random.Generator, n: int = 24) -> shapely.Polygon:
    """A smooth, slightly irregular oval polygon (the outline of a few blocks)."""
    ang = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    wobble = 1 + 0.05 * np.sin(2 * ang + rng.uniform(0, 2 * np.pi)) \
        + 0.03 * np.sin(3 * ang + rng.uniform(0, 2 * np.pi))
    x, y = half_width_m * np.cos(ang) * wobble, half_height_m * np.sin(ang) * wobble
    rot = np.deg2rad(rotation_deg)
    xr, yr = x * np.cos(rot) - y * np.sin(rot), x * np.sin(rot) + y * np.cos(rot)
    return shapely.Polygon(np.column_stack([xr + center[0], yr + center[1]]))


def build_patrol_zones(gazetteer: gpd.GeoDataFrame, *, seed: int = SEED) -> gpd.GeoDataFrame:
    """Four illustrative foot-patrol zones in central Timrå (EPSG:3006), none overlapping."""
    rng = np.random.default_rng(seed)
    vivsta = _point(gazetteer, "Vivsta")
    arena = _point(gazetteer, "SCA Arena")
    sorberge = _point(gazetteer, "Sörberge")
    tallnas = _point(gazetteer, "Tallnäs")
    bearing = np.deg2rad(150.0)  # south-south-east of the centre, towards Järnvägsgatan
    station = vivsta + 450.0 * np.array([np.sin(bearing), np.cos(bearing)])
    sorberge_centre = (arena + sorberge) / 2
    common = ("Illustrativ zon ritad för demon (inte en beslutad patrullzon); ")
    zones = [
        {"name": "Vivsta centrum", "priority": 1, "target_minutes_per_week": 300.0,
         "active_hours": "10-2",
         "source": common + "centrerad på Timrå tätorts angivna koordinat 62.48694, 17.32583 "
                            "(Wikipedia), där Vivsta centrum ligger",
         "geometry": _blob(vivsta, half_width_m=250, half_height_m=220, rotation_deg=10,
                           rng=rng)},
        {"name": "Timrå station", "priority": 2, "target_minutes_per_week": 180.0,
         "active_hours": "6-9,15-1",
         "source": common + "stationen på Ådalsbanan i Vivsta nära centrum; läget är UPPSKATTAT "
                            "(ca 450 m söder–sydost om Vivsta centrum), inte inmätt",
         "geometry": _blob(station, half_width_m=150, half_height_m=130, rotation_deg=-30,
                           rng=rng)},
        {"name": "Sörberge centrum/arenan", "priority": 2, "target_minutes_per_week": 180.0,
         "active_hours": "16-24",
         "source": common + "mellan SCA Arena (angiven 62.50583, 17.35, Wikipedia) och Sörberge "
                            "(uppskattad, ±800 m)",
         "geometry": _blob(sorberge_centre, half_width_m=330, half_height_m=250,
                           rotation_deg=35, rng=rng)},
        {"name": "Tallnäs", "priority": 3, "target_minutes_per_week": 120.0,
         "active_hours": "17-23",
         "source": common + "kring ortnamnsregistrets UPPSKATTADE punkt för Tallnäs "
                            "(62.497, 17.36, ±2 000 m); visa som ungefärlig",
         "geometry": _blob(tallnas, half_width_m=260, half_height_m=200, rotation_deg=-15,
                           rng=rng)},
    ]
    gdf = gpd.GeoDataFrame(zones, geometry="geometry", crs=WORK_CRS)
    gdf["provenance"] = "illustrative"
    geoms = gdf.geometry.values
    for i in range(len(gdf)):
        for j in range(i + 1, len(gdf)):
            if shapely.intersects(geoms[i], geoms[j]):
                raise AssertionError(f"patrol zones {gdf.name[i]!r} and {gdf.name[j]!r} overlap")
    return gdf[["name", "priority", "target_minutes_per_week", "active_hours", "provenance",
                "source", "geometry"]]


# --- unsafe places --------------------------------------------------------------------------------

# (zone, category, description, report source): plainly generic, no real incidents or people.
_UNSAFE = [
    ("Vivsta centrum", "belysning", "Dålig belysning på gångvägen", "trygghetsvandring"),
    ("Vivsta centrum", "ungdomar", "Grupper av ungdomar samlas kvällstid; en del upplever "
                                   "platsen som otrygg", "medborgardialog"),
    ("Vivsta centrum", "skadegorelse", "Klotter och krossat glas vid entrén",
     "trygghetsvandring"),
    ("Vivsta centrum", "narkotika", "Oro för narkotikaförsäljning på platsen (upplevd, inte "
                                    "bekräftad)", "medborgardialog"),
    ("Vivsta centrum", "annat", "Buskage skymmer sikten längs gångstråket", "trygghetsvandring"),
    ("Vivsta centrum", "trafik", "Bilar kör fort förbi övergångsstället", "medborgardialog"),
    ("Timrå station", "belysning", "Mörkt vid cykelparkeringen", "trygghetsvandring"),
    ("Timrå station", "skadegorelse", "Skadegörelse på väderskyddet", "trygghetsvandring"),
    ("Timrå station", "ungdomar", "Större grupper samlas sena kvällar", "medborgardialog"),
    ("Timrå station", "annat", "Ödsligt och otryggt att vänta på tåg på kvällen",
     "medborgardialog"),
    ("Sörberge centrum/arenan", "trafik", "Rörigt trafikläge och höga hastigheter vid "
                                          "evenemang", "medborgardialog"),
    ("Sörberge centrum/arenan", "belysning", "Trasig gatubelysning på parkeringen",
     "trygghetsvandring"),
    ("Sörberge centrum/arenan", "narkotika", "Oro för narkotikaanvändning i området (upplevd)",
     "medborgardialog"),
    ("Sörberge centrum/arenan", "vald_i_nara_relation", "Illustrativ känslig uppgift (våld i "
     "nära relation); visas aldrig som punkt utanför polisens roller", "medborgardialog"),
    ("Tallnäs", "belysning", "Gång- och cykelväg utan belysning", "trygghetsvandring"),
    ("Tallnäs", "trafik", "Höga hastigheter på bostadsgatan", "medborgardialog"),
    ("Tallnäs", "ungdomar", "Mopedåkning och samlingar kvällstid", "medborgardialog"),
]
# Illustrative safety-walk evenings (local time) per zone.
_WALKS = {
    "Vivsta centrum": ("2023-09-26 18:30", "2024-10-08 18:30"),
    "Timrå station": ("2023-09-26 19:30",),
    "Sörberge centrum/arenan": ("2024-04-16 18:30",),
    "Tallnäs": ("2024-04-16 19:30",),
}


def build_unsafe_places(zones: gpd.GeoDataFrame, *, seed: int = SEED) -> gpd.GeoDataFrame:
    """Illustrative unsafe places (EPSG:3006 points) inside or just outside the zones."""
    rng = np.random.default_rng(seed + 1)
    by_name = dict(zip(zones["name"], zones.geometry.values, strict=True))
    dialog_lo = pd.Timestamp("2023-03-01", tz=LOCAL_TZ).timestamp()
    dialog_hi = pd.Timestamp("2024-11-30", tz=LOCAL_TZ).timestamp()
    last_day = pd.Timestamp("2024-12-20 12:00", tz=LOCAL_TZ)
    rows: list[dict[str, Any]] = []
    points = []
    for zone, category, description, report_source in _UNSAFE:
        area = by_name[zone].buffer(60.0)
        minx, miny, maxx, maxy = area.bounds
        while True:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if area.contains(shapely.Point(x, y)):
                break
        points.append(shapely.Point(round(x, 1), round(y, 1)))
        if report_source == "trygghetsvandring":
            walks = _WALKS[zone]
            reported = pd.Timestamp(walks[int(rng.integers(len(walks)))], tz=LOCAL_TZ)
        else:
            day = pd.Timestamp(rng.uniform(dialog_lo, dialog_hi), unit="s", tz="UTC")
            reported = day.tz_convert(LOCAL_TZ).normalize() + pd.Timedelta(hours=18)
        sensitive = category == "vald_i_nara_relation"
        resolved = None
        if not sensitive and rng.random() < 0.35:
            candidate = reported + pd.Timedelta(days=int(rng.integers(21, 200)))
            resolved = candidate if candidate <= last_day else None
        rows.append({
            "category": category,
            "description": description,
            "report_source": report_source,
            "reported_at": reported.tz_convert("UTC"),
            "status": "atgardad" if resolved is not None else "oppen",
            "resolved_at": resolved.tz_convert("UTC") if resolved is not None else None,
            "sensitive": sensitive,
            "provenance": "illustrative",
            "source": (f"Illustrativt exempel (seed {seed}) på vad en {report_source} kan ge, "
                       f"placerat slumpvis i/vid zonen {zone}; ingen verklig rapport"),
        })
    return gpd.GeoDataFrame(rows, geometry=points, crs=WORK_CRS)


# --- police events --------------------------------------------------------------------------------

def load_traffic_events(events_path: Path, gazetteer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The real traffic events and checks, geocoded (EPSG:3006), with the feed's duplicates
    dropped.

    The feed sometimes publishes one event twice under two ids (same type, title and text);
    the lower id is kept.
    """
    raw = read_events(events_path)
    events = parse_events(raw, origin=events_path.name)
    placed = geocode_events(events, gazetteer, municipality=MUNICIPALITY)
    traffic = placed[traffic_mask(placed["type"], checks=True)].sort_values("event_id")
    deduped = distinct_events(traffic)
    dropped = sorted(set(traffic["event_id"]) - set(deduped["event_id"]))
    if dropped:
        log.info("dropped duplicate events %s", dropped)
    deduped = deduped.reset_index(drop=True)
    deduped.attrs["duplicates_dropped"] = [int(i) for i in dropped]
    return deduped


# Words in an event's title or text that name a risk category the traffic event types do not
# show (geo.road_risk.reweight_roads gives only hastighet and rattfylleri).
CATEGORY_WORDS = {
    "buskorning": re.compile(r"busk[öo]r", re.IGNORECASE),
    "a_traktor": re.compile(r"a-traktor|\bepa\b|epa-traktor|mopedbil", re.IGNORECASE),
}
# When no real event names a category, the demo still needs roads with it to show the
# medborgarlöfte's commitment ("riktade insatser mot olagliga A-traktorer och all form av
# buskörning"): these roads get it, labelled illustrative in the road's note and source.
ILLUSTRATIVE_CATEGORY_ROADS = {"buskorning": ("684", "631"), "a_traktor": ("684", "631")}
CATEGORY_WORDS_SV = {"buskorning": "buskörning", "a_traktor": "A-traktor, EPA eller mopedbil"}
ILLUSTRATIVE_CATEGORIES_SV = (
    "Kategorin {cats} är ILLUSTRATIV: ingen av polisens händelser i Timrå 2023–2024 nämner "
    "{words}; den är satt på vägen för demon efter medborgarlöftets åtagande (riktade insatser "
    "mot olagliga A-traktorer och all form av buskörning), inte efter data.")


def category_events(events_path: Path, gazetteer: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """The real events of any type whose title or text names each category of
    ``CATEGORY_WORDS`` (buskörning; A-traktor, EPA, mopedbil), geocoded (EPSG:3006)."""
    events = parse_events(read_events(events_path), origin=events_path.name)
    placed = distinct_events(geocode_events(events, gazetteer, municipality=MUNICIPALITY))
    text = placed["name"].fillna("") + " " + placed["summary"].fillna("")
    return {cat: placed[text.str.contains(pattern).to_numpy()].reset_index(drop=True)
            for cat, pattern in CATEGORY_WORDS.items()}


def named_categories(lines: gpd.GeoDataFrame, named: dict[str, gpd.GeoDataFrame]
                     ) -> tuple[list[list[str]], list[list[str]]]:
    """For each road of ``lines``: the categories real events that name them give it (by
    ``geo.road_risk``'s rule), and the illustrative ones it gets for a category no real event
    names (``ILLUSTRATIVE_CATEGORY_ROADS``)."""
    derived: list[list[str]] = [[] for _ in range(len(lines))]
    illustrative: list[list[str]] = [[] for _ in range(len(lines))]
    refs = [str(r) for r in lines["road_ref"]]
    for cat, events in named.items():
        if len(events):
            for road in sorted(set(road_event_pairs(lines, events)["road"])):
                derived[road].append(cat)
        else:
            for road, ref in enumerate(refs):
                if ref in ILLUSTRATIVE_CATEGORY_ROADS.get(cat, ()):
                    illustrative[road].append(cat)
    return derived, illustrative


def illustrative_summary(named: dict[str, gpd.GeoDataFrame]) -> str:
    """The layer description's sentence on where the categories come from."""
    unnamed = [c for c, events in named.items() if events.empty]
    if not unnamed:
        return ("Kategorierna kommer ur händelserna (buskörning och A-traktor ur händelser som "
                "nämner dem). ")
    roads = sorted({r for c in unnamed for r in ILLUSTRATIVE_CATEGORY_ROADS.get(c, ())})
    return (f"Kategorin {' och '.join(RISK_CATEGORY_SV[c] for c in unnamed)} nämns inte i "
            f"någon händelse och är ILLUSTRATIV på väg {' och '.join(roads)} (se vägens "
            "anteckning); övriga kategorier kommer ur händelserna. ")


def schematic_name(ref: str, name: str) -> str:
    """"E4 (schematisk)", "Väg 684 (schematisk; Centrumvägen, Söråker)": the streets the
    gazetteer names for the road stay in the name, so `trygg roads reweight` on the stored
    layer finds the events that name them, as this builder does."""
    base = ref if ref.startswith("E") else f"Väg {ref}"
    inner = re.search(r"\(([^)]*)\)", name)
    return f"{base} (schematisk; {inner.group(1)})" if inner else f"{base} (schematisk)"


def build_risk_roads(gazetteer: gpd.GeoDataFrame, roads: list[dict[str, Any]],
                     events: gpd.GeoDataFrame,
                     named: dict[str, gpd.GeoDataFrame] | None = None,
                     ) -> tuple[gpd.GeoDataFrame, dict[str, pd.DataFrame]]:
    """Schematic roads weighted by the traffic events along them (``geo.road_risk``'s rule,
    counting the published checks as well); also the events per road, with the reason each
    one counts. ``named`` (``category_events``) adds buskörning and A-traktor."""
    lines = schematic_roads(gazetteer, roads)
    by_ref = {str(r["ref"]): r for r in roads}
    lines["passes"] = [list(by_ref[ref].get("passes", [])) for ref in lines["road_ref"]]
    lines["name"] = [str(by_ref[ref].get("name", "")) for ref in lines["road_ref"]]
    weighted = reweight_roads(lines, events, count_checks=True)
    extra, illustrative = named_categories(lines, named or {})
    pairs = road_event_pairs(lines, events)
    table = pd.DataFrame(events.drop(columns=events.geometry.name))
    rows: list[dict[str, Any]] = []
    counted_by_ref: dict[str, pd.DataFrame] = {}
    for i, (ref, name, places) in enumerate(zip(lines["road_ref"], lines["name"],
                                                lines["places"], strict=True)):
        own = pairs[pairs["road"] == i]
        counted = table.iloc[own["event"].to_numpy()].assign(
            reason=own["reason"].to_numpy()).reset_index(drop=True)
        counted_by_ref[ref] = counted
        types = counted["type"].str.replace(r",.*", "", regex=True).value_counts()
        type_text = ", ".join(f"{t} {n}" for t, n in types.items()) or "inga"
        ids = ", ".join(str(i) for i in counted["event_id"])
        weight = float(weighted["risk_weight"].iloc[i])
        categories = [*weighted["risk_categories"].iloc[i], *extra[i], *illustrative[i]]
        shown = " och ".join(RISK_CATEGORY_SV[c] for c in illustrative[i])
        made_up = (" " + ILLUSTRATIVE_CATEGORIES_SV.format(
            cats=shown, words=" eller ".join(sorted({CATEGORY_WORDS_SV[c]
                                                     for c in illustrative[i]}))))\
            if illustrative[i] else ""
        rows.append({
            "name": schematic_name(ref, name),
            "road_ref": ref,
            "speed_limit_kmh": None,
            "risk_categories": categories,
            "risk_weight": weight,
            "highway": None,
            "schematic": True,
            "note": (f"{name}. SCHEMATISK geometri: raka linjer genom ortnamnspunkterna "
                     f"{' – '.join(places)}, inte vägnätet. Riskvikt = 1 + antal trafikhändelser "
                     f"längs vägen 2023–2024 = 1 + {len(counted)} ({type_text}). Polisens "
                     f"händelse-id: {ids or '–'}. Hastighetsgräns okänd (inte angiven i "
                     "källorna)." + made_up),
            "provenance": "derived",
            "source": (f"Härledd: {EVENTS_SOURCE}; trafikhändelser (Trafikolycka*, Rattfylleri, "
                       "Trafikbrott, Olovlig körning, Trafikkontroll, Trafikhinder) som nämner "
                       "vägen, eller utan vägnamn ligger i en ort vägen passerar eller inom 1 km "
                       "från linjen; riskvikt = 1 + antal. Linje genom data/timra/gazetteer.json; "
                       "data/build_demo.py" + ("; ILLUSTRATIV kategori " + shown
                                               if illustrative[i] else "")),
        })
    # An event that names no road may fit several (Söråker lies on E4 and 684; Vivsta shares
    # the Timrå point where 631 meets E4): it counts for each, and the note says so.
    for row in rows:
        ref = row["road_ref"]
        mine = set(counted_by_ref[ref]["event_id"])
        shared = {other: sorted(mine & set(c["event_id"]))
                  for other, c in counted_by_ref.items() if other != ref}
        parts = [f"{', '.join(map(str, ids))} (även {other})"
                 for other, ids in shared.items() if ids]
        if parts:
            row["note"] += (" Händelser utan vägnamn som även räknas för en annan väg: "
                            + "; ".join(parts) + ".")
    gdf = gpd.GeoDataFrame(rows, geometry=list(lines.geometry.values), crs=WORK_CRS)
    return gdf, counted_by_ref


# --- traffic checks -------------------------------------------------------------------------------

def name_time(name: str, published: pd.Timestamp) -> pd.Timestamp:
    """The time in an event's title ("20 november 09.58, …"), in UTC (see ``title_time``)."""
    return title_time(name, published).tz_convert("UTC")


def check_kinds(text: str) -> list[str]:
    """Kinds of a check from its text: hastighet, nykterhet, else allman."""
    low = (text or "").casefold()
    kinds = []
    if "hastighet" in low:
        kinds.append("hastighet")
    if any(w in low for w in ("nykter", "rattfylleri", "alkohol")):
        kinds.append("nykterhet")
    return kinds or ["allman"]


def _road_label(ref: str | None) -> str | None:
    if not ref:
        return None
    return ref if ref.startswith("E") else f"väg {ref}"


def municipality_radius_m(boundary: gpd.GeoDataFrame, point: shapely.Point) -> float:
    """Distance from ``point`` to the farthest point of the municipality, rounded up to 1 km."""
    coords = shapely.get_coordinates(boundary.to_crs(WORK_CRS).geometry.values)
    far = float(np.max(np.hypot(coords[:, 0] - point.x, coords[:, 1] - point.y)))
    return math.ceil(far / 1000.0) * 1000.0


def build_traffic_checks(events: gpd.GeoDataFrame,
                         boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The real Trafikkontroll events as performed checks (EPSG:3006 points)."""
    checks = events[events["type"] == "Trafikkontroll"].reset_index(drop=True)
    rows: list[dict[str, Any]] = []
    for ev, geom in zip(checks.itertuples(index=False), checks.geometry.values, strict=True):
        text = f"{ev.name} {ev.summary}"
        streets = streets_named(ev.summary)
        at_municipality = ev.precision == "municipality"
        locality = f"{MUNICIPALITY} kommun (närmare plats okänd)" if at_municipality else ev.place
        place = ", ".join(p for p in (_road_label(ev.road), "/".join(streets), locality) if p)
        if at_municipality or pd.isna(ev.precision_m):
            precision_m = municipality_radius_m(boundary, geom)
        else:
            precision_m = float(ev.precision_m)
        rows.append({
            "status": "genomford",
            "start": name_time(ev.name, ev.time),
            "end": None,
            "kinds": check_kinds(text),
            "place": place,
            "checked": None, "breath_tests": None, "suspected_dui": None, "speeding": None,
            "other_offences": None,
            "event_id": int(ev.event_id),
            "precision_m": precision_m,
            "provenance": "derived",
            "source": CHECKS_SOURCE,
        })
    return gpd.GeoDataFrame(rows, geometry=list(checks.geometry.values), crs=WORK_CRS)


# --- self-check -----------------------------------------------------------------------------------

def check_files(out_dir: Path) -> None:
    """Read every written layer back through the project's importer; raise on any problem."""
    from geo.io import read_layer_file
    from geo.validate import prepare_features

    for layer, name in (("patrol_zones", "patrol_zones.geojson"),
                        ("unsafe_places", "unsafe_places.geojson"),
                        ("patrols", "patrols.geojson"),
                        ("risk_roads", "risk_roads.geojson"),
                        ("traffic_checks", "traffic_checks.geojson")):
        spec = layer_spec(layer)
        prepare_features(spec, read_layer_file(out_dir / name, spec), origin=name)


# --- main -----------------------------------------------------------------------------------------

def build(out_dir: Path = OUT_DIR, shared_dir: Path = SHARED_DIR) -> dict[str, Any]:
    """Copy the sources and write every derived layer; return a summary for the log."""
    copy_sources(out_dir, shared_dir)
    gazetteer_path = out_dir / "gazetteer.json"
    gazetteer = read_gazetteer(gazetteer_path)
    roads = gazetteer_roads(gazetteer_path)
    boundary = gpd.read_file(out_dir / "boundary.geojson")

    zones = build_patrol_zones(gazetteer)
    write_collection(
        out_dir / "patrol_zones.geojson", zones, name="Patrullområden (illustrativa)",
        provenance="illustrative",
        description="Illustrativa fotpatrullzoner i centrala Timrå för demon, enligt "
                    "medborgarlöftet ('Polisen ska öka sin fotpatrullering i centrala Timrå'). "
                    "Gränserna är ritade för demon; Timrå stations och Tallnäs lägen är "
                    "uppskattade. Byggd av data/build_demo.py.")

    unsafe = build_unsafe_places(zones)
    write_collection(
        out_dir / "unsafe_places.geojson", unsafe, name="Otrygga platser (illustrativa)",
        provenance="illustrative",
        description="Påhittade, generiska exempel på vad en trygghetsvandring eller "
                    "medborgardialog kan ge; inga verkliga rapporter, händelser eller personer. "
                    "Känsliga kategorier är markerade sensitive=true. Byggd av data/build_demo.py.")

    patrols = simulate_foot_patrols(zones, PatrolSchedule(
        start=PATROL_START, end=PATROL_END, seed=SEED, ping_interval_s=30.0))
    write_collection(
        out_dir / "patrols.geojson", patrols, name="Fotpatruller (simulerade)",
        provenance="simulated",
        description="Simulerade GPS-spår av fotpatruller 2024-09-01–2024-11-30 (ping var 30:e "
                    f"sekund, seed {SEED}) i de illustrativa zonerna; inga verkliga patruller. "
                    "Byggd av data/build_demo.py med geo.simulate.simulate_foot_patrols.")

    events = load_traffic_events(out_dir / "police_events_2023_2024.json", gazetteer)
    named = category_events(out_dir / "police_events_2023_2024.json", gazetteer)
    risk_roads, counted = build_risk_roads(gazetteer, roads, events, named)
    write_collection(
        out_dir / "risk_roads.geojson", risk_roads, name="Riskvägar (schematiska)",
        provenance="derived",
        description="SCHEMATISKA vägar: raka linjer genom ortnamnsregistrets punkter i den "
                    "ordning källorna anger, inte vägnätet. Riskvikt = 1 + antal verkliga "
                    "trafikhändelser (Polisens öppna händelse-API 2023–2024) längs vägen. "
                    + illustrative_summary(named) +
                    "Importera riktiga vägar (OSM/NVDB) med 'trygg import risk_roads FIL'. "
                    "Byggd av data/build_demo.py.",
        members={"schematic": True})

    checks = build_traffic_checks(events, boundary)
    write_collection(
        out_dir / "traffic_checks.geojson", checks, name="Trafikkontroller (genomförda)",
        provenance="derived",
        description="Polisens publicerade Trafikkontroll-händelser i Timrå 2023–2024 som "
                    "genomförda kontroller. Plats tolkad ur händelsetexten (ortnamnsregistret); "
                    "start = tiden i händelsens rubrik. Antal kontrollerade m.m. saknas i "
                    "källan (null). Kontroller utan ort ligger i kommunens punkt med "
                    "precision_m = avståndet till kommunens bortersta gräns. "
                    "Byggd av data/build_demo.py.",
        members={"duplicates_dropped": events.attrs.get("duplicates_dropped", [])})

    check_files(out_dir)
    return {"zones": zones, "unsafe": unsafe, "patrols": patrols, "risk_roads": risk_roads,
            "counted": counted, "checks": checks, "events": events}


def main(argv: list[str] | None = None) -> int:
    """Command line: rebuild the demo files and print a short summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (data/timra)")
    parser.add_argument("--shared", type=Path, default=SHARED_DIR,
                        help="folder of the shared source data (../shared)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = build(args.out, args.shared)
    for row in result["risk_roads"].itertuples(index=False):
        ids = result["counted"][row.road_ref]["event_id"].tolist()
        log.info("road %s: risk_weight %g, categories %s, events %s", row.road_ref,
                 row.risk_weight, row.risk_categories, ids)
    log.info("patrols: %s walks, %s pings", f"{len(result['patrols']):,}",
             f"{int(sum(len(t) for t in result['patrols']['times'])):,}")
    log.info("traffic checks: %s", f"{len(result['checks']):,}")
    for path in sorted(args.out.iterdir()):
        log.info("  %-40s %10s bytes", path.name, f"{path.stat().st_size:,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
