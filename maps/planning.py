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
from maps.base import (
    add_header, add_legend, esc, escaped_geojson, json_island, new_map, page_of, render,
)

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


def _panel(schematic: bool) -> str:
    options = "".join(f'<option value="{c}">{esc(first_upper(RISK_CATEGORY_SV[c]))}</option>'
                      for c in RISK_CATEGORIES)
    kinds = "".join(
        f'<label><input type="checkbox" name="kind" value="{k}"'
        f'{" checked" if k == "allman" else ""}> {esc(CHECK_KIND_SV[k])}</label> '
        for k in CHECK_KINDS)
    warning = ('<p class="warn" id="schematic-note">Obs! Riskvägarna i demon är '
               "<strong>schematiska</strong>: raka linjer genom orter, inte verkligt vägnät "
               "(se data/README.md). Förslagen visar metoden, inte verkliga platser.</p>"
               if schematic else "")
    return f"""
<div id="planning-panel" class="trygg-panel" role="region" aria-label="Planering">
  <h2>Planera trafikkontroller</h2>
  {warning}
  <form id="suggest-form">
    <fieldset><legend>Förslag på kontrollplatser</legend>
    <label>Antal platser (k)
      <input type="number" id="k" name="k" min="1" max="100" value="5"></label>
    <label>Radie (m)
      <input type="number" id="radius" name="radius_m" min="50" max="50000" step="50"
             value="1500"></label>
    <label>Riskkategori
      <select id="category" name="category"><option value="">Alla</option>{options}</select>
    </label>
    <label>Minsta avstånd (m)
      <input type="number" id="spacing" min="0" max="50000" step="100" value="0"></label>
    <label>Tid på dygnet
      <input type="text" id="hours" placeholder="t.ex. 22-6" maxlength="40"></label>
    <label>Undvik platser från senaste veckorna
      <input type="number" id="rotation" min="0" max="52" value="0"></label>
    <button type="submit" id="suggest-button">Föreslå platser</button>
    </fieldset>
  </form>
  <div id="suggest-result" aria-live="polite"></div>
  <fieldset id="pick"><legend>Vald plats</legend>
    <p id="pick-text">Klicka på kartan nära en riskväg för att välja en plats.</p>
    <label>Datum <input type="date" id="check-date"></label>
    <label>Start <input type="time" id="check-time" value="22:00"></label>
    <label>Timmar <input type="number" id="check-hours" min="1" max="12" value="2"></label>
    <label>Plats <input type="text" id="check-place" maxlength="200"></label>
    <div class="kinds">Typ: {kinds}</div>
    <button type="button" id="save-check" disabled>Planera kontroll</button>
    <p id="save-status" aria-live="polite"></p>
  </fieldset>
  <fieldset><legend>Planerade kontroller</legend>
    <ul id="planned-list"></ul>
    <p><a href="/api/siting/planned.csv" id="export-csv">Exportera CSV</a> ·
       <a href="/api/siting/planned.gpx" id="export-gpx">Exportera GPX</a></p>
  </fieldset>
  <form id="schedule-form">
    <fieldset><legend>Slumpad veckoplan</legend>
    <label>Vecka <input type="week" id="week" value="2024-W10" required></label>
    <label>Slumpfrö <input type="number" id="seed" min="0" value="1"></label>
    <label>Antal kontroller <input type="number" id="checks" min="1" max="84" value="6"></label>
    <label>Högst per plats <input type="number" id="per-site" min="1" max="84" value="2"></label>
    <label>Tillgängliga timmar
      <input type="text" id="available" value="0-24" maxlength="40"></label>
    <button type="submit" id="schedule-button">Slumpa veckoplan</button>
    </fieldset>
  </form>
  <div id="schedule-result" aria-live="polite"></div>
</div>
<style>
  .trygg-panel {{position:fixed; top:10px; right:10px; bottom:10px; width:340px; z-index:1000;
    overflow:auto; background:#fff; padding:8px 12px; border-radius:4px; font:13px/1.4 sans-serif;
    box-shadow:0 1px 4px rgba(0,0,0,.3)}}
  .trygg-panel h2 {{font-size:15px; margin:4px 0}}
  .trygg-panel label {{display:block; margin:3px 0}}
  .trygg-panel .kinds label {{display:inline}}
  .trygg-panel input[type=number], .trygg-panel input[type=text] {{width:110px}}
  .trygg-panel fieldset {{margin:6px 0; border:1px solid #ccc}}
  .trygg-panel .warn {{background:#fff3cd; padding:4px 6px; border:1px solid #e0c36b}}
  .trygg-panel .error {{color:#a00; font-weight:600}}
  .trygg-panel table {{border-collapse:collapse; width:100%}}
  .trygg-panel td, .trygg-panel th {{border-bottom:1px solid #ddd; padding:1px 4px;
    text-align:left}}
  .trygg-panel td.num {{text-align:right}}
</style>"""


def planning_map(roads: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, *,
                 links: list[tuple[str, str]] | None = None) -> str:
    """HTML of the planning page: ``roads`` (risk roads) and ``candidates`` (the planner's
    candidate sites), both in EPSG:3006; the interactive parts come from /static/planning.js."""
    m = new_map()
    legend: list[tuple[str, str]] = []
    notes = ["Förslag: blå ringar visar täckningsradien. Grön: planerad kontroll."]
    schematic = bool(len(roads) and roads["schematic"].fillna(False).any())
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
            legend.append((ROAD_COLOURS[-len(edges):][i], label))
            previous = edge
        if schematic:
            notes.append("Vägarna är schematiska (raka linjer genom orter), inte verkligt "
                         "vägnät.")
        minx, miny, maxx, maxy = to_web(roads).total_bounds
        m.fit_bounds([(miny, minx), (maxy, maxx)], padding_bottom_right=(360, 20))
    if len(candidates):
        group = folium.FeatureGroup(name="Möjliga kontrollplatser").add_to(m)
        shown = candidates.assign(typ=[CANDIDATE_KIND_SV.get(k, k) for k in candidates["kind"]])
        folium.GeoJson(
            escaped_geojson(shown, ["name", "typ"]),
            marker=folium.CircleMarker(radius=6, color=CANDIDATE_COLOUR, fill=True,
                                       fill_opacity=0.8),
            tooltip=folium.GeoJsonTooltip(["name", "typ"], aliases=["Plats", "Typ"]),
        ).add_to(group)
        legend.append((CANDIDATE_COLOUR, f"Egna möjliga kontrollplatser ({len(candidates)})"))
    legend.append(("#1f78b4", "Föreslagen plats med täckningsradie"))
    legend.append(("#31a354", "Planerad kontroll"))
    legend.append(("#6a3d9a", "Veckoplanens kontroller"))
    add_legend(m, "Planering av trafikkontroller", legend, notes)
    add_header(m, "Trygg – planering", links or [("/", "Startsida")])
    config = {"map": m.get_name(), "categories": list(RISK_CATEGORIES),
              "candidate_kinds": list(CANDIDATE_KINDS), "schematic": schematic}
    root = page_of(m)
    root.html.add_child(folium.Element(_panel(schematic)))
    root.html.add_child(folium.Element(
        '<script id="planning-config" type="application/json">' + json_island(config)
        + "</script>"
        + '<script src="/static/trygg.js" defer></script>'
        + '<script src="/static/planning.js" defer></script>'))
    return render(m, title="Trygg – planering av trafikkontroller")
