"""The planning map: risk roads coloured by risk weight, the planner's candidate sites, and the
panel through which the page's script (``/static/planning.js``) asks the API for suggested sites,
snaps clicks to the roads, saves planned checks and draws a weekly plan."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np

from geo.crs import to_web
from geo.demand import no_roads_reason, roads_per_category
from geo.formats import number_sv
from geo.geojson import feature_collection
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
        shown = roads.assign(
            kategorier=[", ".join(RISK_CATEGORY_SV.get(c, c) for c in (cats or ())) or "–"
                        for cats in roads["risk_categories"]],
            risk_weight=[number_sv(w) for w in roads["risk_weight"]])
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
    # The candidate sites are drawn by the page's script (first from the config, after a change
    # from /api/layers/candidate_sites), so a planner can add, move and rename them on the map.
    items.append((CANDIDATE_COLOUR, f"Egna möjliga kontrollplatser ({len(candidates)})"))
    items.append(("#1f78b4", "Föreslagen plats med täckningsradie"))
    items.append(("#31a354", "Planerad kontroll"))
    items.append(("#6a3d9a", "Veckoplanens kontroller"))
    carried = roads_per_category(roads, RISK_CATEGORIES)
    reasons = {c: no_roads_reason(c) for c, n in carried.items() if not n}
    config = {"map": m.get_name(), "categories": list(RISK_CATEGORIES),
              "category_sv": {c: first_upper(RISK_CATEGORY_SV[c]) for c in RISK_CATEGORIES},
              "check_kind_sv": dict(CHECK_KIND_SV), "candidate_kind_sv": {
                  k: first_upper(CANDIDATE_KIND_SV.get(k, k)) for k in CANDIDATE_KINDS},
              "candidate_kinds": list(CANDIDATE_KINDS), "schematic": schematic,
              "bounds": bounds,
              "candidates": json.loads(feature_collection(
                  candidates[["name", "kind", "version", candidates.geometry.name]]))["features"]}
    return render(m, "planning.html", schematic=schematic, config=json_island(config),
                  legend=legend("Planering av trafikkontroller", items, notes),
                  categories=[(c, first_upper(RISK_CATEGORY_SV[c]), reasons.get(c))
                              for c in RISK_CATEGORIES],
                  category_hints=[f"{first_upper(RISK_CATEGORY_SV[c])} går inte att välja: {r}"
                                  for c, r in reasons.items()],
                  kinds=[(k, CHECK_KIND_SV[k]) for k in CHECK_KINDS],
                  candidate_kinds=[(k, first_upper(CANDIDATE_KIND_SV.get(k, k)))
                                   for k in CANDIDATE_KINDS])
