"""The overview map: every layer a role may see, each labelled with its provenance."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import to_web
from geo.formats import plural_sv
from geo.layers import UNPLACED_PRECISIONS
from geo.periods import LOCAL_TZ
from geo.vocabulary import PROVENANCE_LONG_SV
from maps.base import (
    FeatureLayer, esc, escaped_geojson, feature_props, legend, new_map, popup_table, render,
)

# Points less certain than this are counted in the legend, not drawn (they would cover the map).
MAX_DRAWN_UNCERTAINTY_M = 5_000.0

COLOURS = {
    "boundaries": "#333333",
    "risk_roads": "#d7301f",
    "patrol_zones": "#2b8cbe",
    "unsafe_places": "#8856a7",
    "traffic_checks": "#31a354",
    "events": "#fd8d3c",
    "gazetteer": "#636363",
}


def _provenance(gdf: gpd.GeoDataFrame) -> str:
    kinds = sorted(set(gdf["provenance"])) if len(gdf) else []
    return ", ".join(PROVENANCE_LONG_SV.get(k, k) for k in kinds) or "tomt"


def overview_map(layers: dict[str, gpd.GeoDataFrame], *, titles: dict[str, str]) -> str:
    """The overview page's content (``templates/overview.html``): a map of ``layers``
    (name → GeoDataFrame in EPSG:3006, already filtered for the
    viewer's role). Estimated places are drawn as uncertainty circles, never as exact pins, and
    events placed only at municipality level are counted, not drawn."""
    m = new_map()
    items: list[tuple[str, str]] = []
    notes: list[str] = []

    def group(name: str) -> folium.FeatureGroup:
        gdf = layers[name]
        label = f"{titles.get(name, name)} ({_provenance(gdf)})"
        items.append((COLOURS[name], label))
        fg = folium.FeatureGroup(name=label, show=name != "gazetteer")
        fg.add_to(m)
        return fg

    if "boundaries" in layers and len(layers["boundaries"]):
        folium.GeoJson(
            escaped_geojson(layers["boundaries"], ["name", "kommunkod"]),
            style_function=lambda _f: {"color": COLOURS["boundaries"], "weight": 2,
                                       "fill": False},
            tooltip=folium.GeoJsonTooltip(["name"], aliases=["Kommun"]),
        ).add_to(group("boundaries"))

    if "patrol_zones" in layers and len(layers["patrol_zones"]):
        folium.GeoJson(
            escaped_geojson(layers["patrol_zones"],
                            ["name", "target_minutes_per_week", "active_hours", "provenance"]),
            style_function=lambda _f: {"color": COLOURS["patrol_zones"], "weight": 2,
                                       "fillOpacity": 0.15},
            tooltip=folium.GeoJsonTooltip(
                ["name", "target_minutes_per_week", "active_hours", "provenance"],
                aliases=["Område", "Mål (min/vecka)", "Aktiva timmar", "Ursprung"]),
        ).add_to(group("patrol_zones"))

    if "risk_roads" in layers and len(layers["risk_roads"]):
        roads = layers["risk_roads"].copy()
        roads["kategorier"] = roads["risk_categories"]
        roads["geometri"] = roads["schematic"].map(
            lambda s: "schematisk (ej verklig vägsträckning)" if s else "inmätt")
        folium.GeoJson(
            escaped_geojson(roads, ["name", "road_ref", "risk_weight", "kategorier", "geometri",
                                    "provenance", "note"]),
            style_function=lambda f: {"color": COLOURS["risk_roads"], "weight": 4,
                                      "dashArray": "8 6" if "schematisk" in
                                      f["properties"]["geometri"] else None},
            tooltip=folium.GeoJsonTooltip(
                ["name", "road_ref", "risk_weight", "kategorier", "geometri", "provenance"],
                aliases=["Väg", "Vägnummer", "Riskvikt", "Riskkategorier", "Geometri",
                         "Ursprung"]),
        ).add_to(group("risk_roads"))
        if roads["schematic"].fillna(False).any():
            notes.append("Streckade vägar är schematiska: raka linjer genom orter, inte "
                         "verkligt vägnät. Importera OSM eller NVDB för riktiga vägar.")

    if "unsafe_places" in layers and len(layers["unsafe_places"]):
        places = to_web(layers["unsafe_places"])
        props = [feature_props("place", popup_html=popup_table([
            ("Kategori", row["category"]), ("Beskrivning", row["description"]),
            ("Källa", row["report_source"]),
            ("Rapporterad", _date(row["reported_at"])),
            ("Status", "åtgärdad" if row["status"] == "atgardad" else "öppen"),
            ("Ursprung", PROVENANCE_LONG_SV.get(row["provenance"], row["provenance"])),
        ])) for _, row in places.drop(columns="geometry").iterrows()]
        colour = COLOURS["unsafe_places"]
        FeatureLayer(shapely.point_on_surface(places.geometry.values), props, {"place": {
            "radius": 7, "color": colour, "fill": True, "fillColor": colour,
            "fillOpacity": 0.7, "weight": 3}}).add_to(group("unsafe_places"))

    if "traffic_checks" in layers and len(layers["traffic_checks"]):
        checks = layers["traffic_checks"]
        vague = checks["precision_m"].fillna(0) > MAX_DRAWN_UNCERTAINTY_M
        if vague.any():
            notes.append(f"{int(vague.sum())} av "
                         f"{plural_sv(len(checks), 'trafikkontroll', 'trafikkontroller')} saknar "
                         "känd plats och ritas inte ut.")
        _uncertain_points(group("traffic_checks"), checks[~vague], COLOURS["traffic_checks"],
                          lambda r: [
                              ("Kontroll", r["place"]), ("Status", r["status"]),
                              ("Start", _date(r["start"])), ("Typ", r["kinds"]),
                              ("Lägesosäkerhet", _metres(r["precision_m"])),
                              ("Ursprung", PROVENANCE_LONG_SV.get(r["provenance"]))])

    if "events" in layers and len(layers["events"]):
        events = layers["events"]
        unplaced = events["precision"].isin(UNPLACED_PRECISIONS)
        if unplaced.any():
            notes.append(f"{int(unplaced.sum())} av "
                         f"{plural_sv(len(events), 'händelse', 'händelser')} har bara kommunen "
                         "som plats och ritas inte ut.")
        _event_places(group("events"), events[~unplaced])

    if "gazetteer" in layers and len(layers["gazetteer"]):
        places = layers["gazetteer"]  # streets (lines) are not drawn as uncertain points
        _uncertain_points(group("gazetteer"), places[places.geom_type == "Point"],
                          COLOURS["gazetteer"],
                          lambda r: [("Ort", r["name"]), ("Grund", "angiven" if r["basis"] ==
                                                          "stated" else "uppskattad"),
                                     ("Lägesosäkerhet", _metres(r["precision_m"]))])

    focus = [to_web(layers[n]) for n in ("risk_roads", "patrol_zones", "boundaries")
             if n in layers and len(layers[n])]
    if focus:
        minx, miny, maxx, maxy = focus[0].total_bounds
        m.fit_bounds([(miny, minx), (maxy, maxx)])
    folium.LayerControl(collapsed=True, position="bottomright").add_to(m)
    return render(m, "overview.html", legend=legend("Lager och ursprung", items, notes))


def _circles(colour: str, fill_opacity: float) -> dict[str, dict[str, object]]:
    """The style of uncertainty circles (their radius in metres is each feature's)."""
    return {"circle": {"color": colour, "weight": 1, "fill": True, "fillColor": colour,
                       "fillOpacity": fill_opacity, "radius_m": 25.0}}


def _event_places(target: folium.FeatureGroup, events: gpd.GeoDataFrame) -> None:
    """One uncertainty circle per place named by events, listing its latest events."""
    if events.empty:
        return
    web = to_web(events)
    web = web.assign(_x=web.geometry.x.round(6), _y=web.geometry.y.round(6))
    points, props = [], []
    for (_x, _y, place), group_rows in web.groupby(["_x", "_y", "place"], sort=False):
        latest = group_rows.sort_values("time", ascending=False)
        widest = latest["precision_m"].max(skipna=True)
        radius = 25.0 if pd.isna(widest) else max(float(widest), 25.0)
        rows = [("Plats (tolkad ur texten)", place), ("Antal händelser", len(latest)),
                ("Lägesosäkerhet", _metres(radius))]
        rows += [(_date(r["time"], with_time=True) or "", f"{r['type']}: {r['summary']}")
                 for _, r in latest.head(8).iterrows()]
        points.append((_x, _y))
        props.append(feature_props("circle", popup_html=popup_table(rows), radius_m=radius,
                                   tooltip_html=f"{esc(place)}: "
                                   f"{plural_sv(len(latest), 'händelse', 'händelser')}"))
    xy = np.asarray(points, dtype=float)
    FeatureLayer(shapely.points(xy[:, 0], xy[:, 1]), props, _circles(COLOURS["events"], 0.08),
                 popup_width=360).add_to(target)


def _uncertain_points(target: folium.FeatureGroup, gdf: gpd.GeoDataFrame, colour: str,
                      rows) -> None:
    """Points as circles whose radius is their location uncertainty (at least 25 m)."""
    web = to_web(gdf)
    radii = web["precision_m"].astype(float).fillna(25.0).clip(lower=25.0) if (
        "precision_m" in web) else pd.Series(25.0, index=web.index)
    props = [feature_props("circle", popup_html=popup_table(rows(row)), radius_m=float(radius))
             for radius, (_, row) in zip(radii, web.iterrows(), strict=True)]
    FeatureLayer(web.geometry.values, props, _circles(colour, 0.1)).add_to(target)


def _date(value, *, with_time: bool = False) -> str | None:
    if value is None or pd.isna(value):
        return None
    local = pd.Timestamp(value).tz_convert(LOCAL_TZ)
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _metres(value) -> str | None:
    return None if value is None or pd.isna(value) else f"± {float(value):,.0f} m".replace(",", " ")
