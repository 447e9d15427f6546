"""The planning map: risk roads coloured by risk weight, the planner's candidate sites, and the
panel through which the page's script (``/static/planning.js``) asks the API for suggested sites,
snaps clicks to the roads, saves planned checks and draws a weekly plan."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np

from geo.crs import to_web
from geo.layers import CANDIDATE_KINDS, CHECK_KINDS, RISK_CATEGORIES
from geo.vocabulary import CANDIDATE_KIND_SV, CHECK_KIND_SV, RISK_CATEGORY_SV, first_upper
from maps.base import escaped_geojson, json_island, legend, new_map, render

ROAD_COLOURS = ("#fed976", "#fd8d3c", "#e31a1c", "#800026")  # low → high risk weight
CANDIDATE_COLOUR = "#2b8cbe"


def weight_classes(weights: np.ndarray, *, n: int = len(ROAD_COLOURS)) -> np.ndarray:
    """Upper edges of at most ``n`` classes of risk weight (quantiles; distinct values if few)."""
    values = np.unique(np.asarray(weights, dtype=float)[np.isfinite(weights)])
    if len(values) == 0:
        return np.array([1.0])
    if len(values) <= n:
        return values
    return np.unique(np.quantile(values, np.linspace(0, 1, n + 1)[1:]))


def planning_map(roads: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame) -> str:
    """The planning page's content (``templates/planning.html``: map, legend, panel) from
    ``roads`` (risk roads) and ``candidates`` (the planner's candidate sites), both in
    EPSG:3006; the interactive parts come from /static/planning.js."""
    m = new_map()
    items: list[tuple[str, str]] = []
    notes = ["Förslag: blå ringar visar täckningsradien. Grön: planerad kontroll."]
    schematic = bool(len(roads) and roads["schematic"].fillna(False).any())
    bounds: list[tuple[float, float]] | None = None
    if len(roads):
        edges = weight_classes(roads["risk_weight"].to_numpy(dtype=float))
        cls = np.minimum(np.searchsorted(edges, roads["risk_weight"].to_numpy(dtype=float)),
                         len(edges) - 1)
        colours = [ROAD_COLOURS[-len(edges):][c] for c in cls]
        shown = roads.assign(kategorier=roads["risk_categories"])
        data = escaped_geojson(shown, ["name", "risk_weight", "kategorier"])
        for feature, colour in zip(data["features"], colours, strict=True):
            feature["properties"]["colour"] = colour
        folium.GeoJson(
            data, name="Riskvägar",
            style_function=lambda f: {"color": f["properties"]["colour"], "weight": 6,
                                      "opacity": 0.9},
            tooltip=folium.GeoJsonTooltip(["name", "risk_weight", "kategorier"],
                                          aliases=["Väg", "Riskvikt", "Kategorier"]),
        ).add_to(m)
        distinct = len(np.unique(roads["risk_weight"].dropna())) == len(edges)
        previous = float(roads["risk_weight"].min())
        for i, edge in enumerate(edges):
            label = f"Riskvikt {edge:g}" if distinct else (
                f"Riskvikt {previous:g}–{edge:g}" if i else f"Riskvikt ≤ {edge:g}")
            items.append((ROAD_COLOURS[-len(edges):][i], label))
            previous = edge
        if schematic:
            notes.append("Vägarna är schematiska (raka linjer genom orter), inte verkligt "
                         "vägnät.")
        minx, miny, maxx, maxy = to_web(roads).total_bounds
        bounds = [(miny, minx), (maxy, maxx)]
        m.fit_bounds(bounds)
    if len(candidates):
        group = folium.FeatureGroup(name="Möjliga kontrollplatser").add_to(m)
        shown = candidates.assign(typ=[CANDIDATE_KIND_SV.get(k, k) for k in candidates["kind"]])
        folium.GeoJson(
            escaped_geojson(shown, ["name", "typ"]),
            marker=folium.CircleMarker(radius=6, color=CANDIDATE_COLOUR, fill=True,
                                       fill_opacity=0.8),
            tooltip=folium.GeoJsonTooltip(["name", "typ"], aliases=["Plats", "Typ"]),
        ).add_to(group)
        items.append((CANDIDATE_COLOUR, f"Egna möjliga kontrollplatser ({len(candidates)})"))
    items.append(("#1f78b4", "Föreslagen plats med täckningsradie"))
    items.append(("#31a354", "Planerad kontroll"))
    items.append(("#6a3d9a", "Veckoplanens kontroller"))
    config = {"map": m.get_name(), "categories": list(RISK_CATEGORIES),
              "candidate_kinds": list(CANDIDATE_KINDS), "schematic": schematic,
              "bounds": bounds}
    return render(m, "planning.html", schematic=schematic, config=json_island(config),
                  legend=legend("Planering av trafikkontroller", items, notes),
                  categories=[(c, first_upper(RISK_CATEGORY_SV[c])) for c in RISK_CATEGORIES],
                  kinds=[(k, CHECK_KIND_SV[k]) for k in CHECK_KINDS])
