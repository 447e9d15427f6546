"""The coverage map: patrol zones coloured by street coverage, patrol tracks, a presence heat
layer, risk roads coloured by check coverage with the checks, a period picker and a chart of
minutes per week against each zone's target. Swedish labels; every text shown is escaped."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from folium.plugins import HeatMap

from geo.check_coverage import performed_checks
from geo.crs import WORK_CRS, to_web
from geo.periods import make_period
from maps.base import (
    PROVENANCE_LABEL, add_header, add_legend, esc, new_map, page_of, popup, popup_table, render,
    tooltip,
)

HEAT_JS = ("leaflet-heat.js", "/static/vendor/leaflet-heat/leaflet-heat.js")
# Coverage classes (lower bound in %, colour, label): red for little, green for much.
CLASSES = [(90.0, "#1a9850", "90–100 %"), (75.0, "#91cf60", "75–90 %"),
           (50.0, "#fee08b", "50–75 %"), (25.0, "#fc8d59", "25–50 %"),
           (0.0, "#d73027", "0–25 %")]
TRACK_COLOUR = "#3b4cc0"
CHECK_COLOUR = "#6a3d9a"
ZONE_COLOURS = ["#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928"]
BAND_SV = {"dag": "Dag 06–18", "kvall": "Kväll 18–24", "natt": "Natt 00–06", "alla": "Alla"}
DAYTYPE_SV = {"vardag": "vardag", "helg": "helg", "alla": ""}


def coverage_colour(pct: float | None) -> str:
    """The class colour of a coverage percentage (grey when unknown)."""
    if pct is None or pd.isna(pct):
        return "#999999"
    return next(colour for low, colour, _ in CLASSES if pct >= low)


def _num(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    text = f"{float(value):,.{digits}f}".replace(",", "\u00a0").replace(".", ",")
    return f"{text}{unit}"


def _zone_popup(zone: dict[str, Any]) -> str:
    rows = [
        ("Område", zone["name"]),
        ("Närvaro", _num(zone["minutes"], " min")),
        ("Per vecka / mål", f"{_num(zone['minutes_per_week'], ' min')} / "
                            f"{_num(zone['target_minutes_per_week'], ' min')} "
                            f"({_num(zone['target_pct'], ' %')})"),
        ("Besök", zone["visits"]),
        ("Längsta glapp", f"{_num(zone['longest_gap_h'], ' h', 1)} ({zone['longest_gap_from']}"
                          f" – {zone['longest_gap_to']})"),
        ("Gatutäckning" if zone["coverage_basis"] == "gatulangd" else "Yttäckning",
         _num(zone["coverage_pct"], " %", 1)),
        ("Besök ≥ 10 min", zone["dosage"]["long_visits"]),
        ("Aktiva timmar", zone["dosage"]["active_hours"]),
        ("Aktiv tid med högst 2 h mellan besök", _num(zone["dosage"]["dosed_pct"], " %", 1)),
    ]
    base = zone.get("baseline")
    if base:
        rows.append(("Jämfört med " + base["period_from"] + " – " + base["period_to"],
                     f"{_num(base['change_minutes_per_week'], ' min/vecka')} "
                     f"({_num(base['change_pct'], ' %')})"))
    for band in zone["bands"]:
        if band["daytype"] == "alla" or band["band"] == "alla":
            label = BAND_SV[band["band"]] if band["band"] != "alla" else \
                DAYTYPE_SV[band["daytype"]].capitalize()
            rows.append((label, f"{_num(band['minutes'], ' min')}, {band['visits']} besök, "
                                f"täckning {_num(band['coverage_pct'], ' %')}"))
    teams = "; ".join(f"{t['unit']}: {_num(t['minutes'], ' min')}" for t in zone["teams"])
    rows.append(("Per lag", teams or "–"))
    return popup_table(rows)


def _road_popup(road: dict[str, Any]) -> str:
    res = road["results"]
    labels = {"checked": "Kontrollerade", "breath_tests": "Utandningsprov",
              "suspected_dui": "Misstänkt rattfylleri", "speeding": "Hastighetsöverträdelser"}
    rows = [("Väg", road["name"]), ("Riskvikt", _num(road["risk_weight"], "", 0)),
            ("Riskkategorier", ", ".join(road["risk_categories"]) or "–"),
            ("Kontroller inom radien", road["checks"]),
            ("Senaste kontroll", road["last_check"] or "ingen under perioden"),
            ("Dagar sedan senaste", road["days_since_last"] if road["days_since_last"]
             is not None else "–"),
            ("Täckt längd", f"{_num(road['covered_pct'], ' %', 1)} av "
                            f"{_num(road['length_m'] / 1000, ' km', 1)}")]
    for key, label in labels.items():
        r = res[key]
        rows.append((label, f"{r['total']}" + (f" (okänt i {r['unknown']})" if r["unknown"]
                                                else "")))
    return popup_table(rows)


def _week_chart(zones: list[dict[str, Any]]) -> str:
    """Inline SVG: minutes per week (bars) against the target (dashed line), one row per zone."""
    if not zones or not zones[0]["weeks"]:
        return ""
    weeks = [w["week"] for w in zones[0]["weeks"]]
    width, row_h, left, top = 320, 46, 112, 16
    bar_w = (width - left - 8) / max(len(weeks), 1)
    parts = [f'<svg id="trygg-week-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{top + row_h * len(zones) + 14}" role="img" '
             'aria-label="Minuter fotpatrull per vecka mot målet">',
             '<text x="0" y="11" font-size="11">Minuter per vecka (stapel) mot mål (streck)'
             '</text>']
    for i, zone in enumerate(zones):
        y0 = top + i * row_h
        peak = max([w["minutes"] for w in zone["weeks"]] + [w["target_minutes"]
                                                             for w in zone["weeks"]] + [1.0])
        scale = (row_h - 12) / peak
        parts.append(f'<text x="0" y="{y0 + row_h / 2 + 4:.0f}" font-size="11">'
                     f'{esc(zone["name"][:18])}</text>')
        for j, week in enumerate(zone["weeks"]):
            x = left + j * bar_w
            h = week["minutes"] * scale
            colour = "#1a9850" if week["target_met"] else "#fc8d59"
            title = esc(f'{zone["name"]} {week["week"]}: {week["minutes"]:.0f} av '
                                f'{week["target_minutes"]:.0f} min')
            parts.append(f'<rect x="{x + 1:.1f}" y="{y0 + row_h - 6 - h:.1f}" '
                         f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{title}</title></rect>")
            ty = y0 + row_h - 6 - week["target_minutes"] * scale
            parts.append(f'<line x1="{x:.1f}" x2="{x + bar_w:.1f}" y1="{ty:.1f}" y2="{ty:.1f}" '
                         'stroke="#000" stroke-dasharray="3 2"/>')
    last_y = top + row_h * len(zones) + 10
    for j, label in enumerate(weeks):
        if len(weeks) <= 8 or j % max(len(weeks) // 6, 1) == 0:
            parts.append(f'<text x="{left + j * bar_w:.1f}" y="{last_y}" font-size="9">'
                         f'{esc(label[5:])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _panel(m: folium.Map, patrols: dict[str, Any], checks: dict[str, Any],
           notice: str | None) -> None:
    warn = f'<div class="warn" role="alert">{esc(notice)}</div>' if notice else ""
    summary = (f"Kontroller {checks['checks_performed']}: {checks['checks_at_risk_places']} vid "
               f"riskvägar, {checks['checks_elsewhere']} på annan plats, "
               f"{checks['checks_place_unknown']} med okänd plats. Riskviktad väglängd inom "
               f"{_num(checks['radius_m'] / 1000, ' km', 0)} från en kontroll: "
               f"{_num(checks['weighted_covered_pct'], ' %', 1)}.")
    box = f"""
    <div id="trygg-panel" class="trygg-panel">
      <form id="trygg-period" method="get" action="/kartor/tackning">
        <label>Från <input type="date" name="from" value="{esc(patrols['period_from'])}"
          required></label>
        <label>Till <input type="date" name="to" value="{esc(patrols['period_to'])}"
          required></label>
        <button type="submit">Visa</button>
      </form>{warn}
      <div class="period">Period {esc(patrols['period_from'])} – {esc(patrols['period_to'])}
        ({patrols['days']} dagar), räckvidd {_num(patrols['reach_m'], ' m')},
        {patrols['tracks_in_period']} pass.</div>
      {_week_chart(patrols['zones'])}
      <div class="period">{esc(summary)}</div>
    </div>
    <style>
      .trygg-panel {{position:fixed; top:56px; right:12px; z-index:1000; background:#fff;
        padding:8px 10px; border:1px solid #999; border-radius:4px; font:13px/1.4 sans-serif;
        max-width:340px; box-shadow:0 1px 4px rgba(0,0,0,.3)}}
      .trygg-panel form {{display:flex; gap:6px; flex-wrap:wrap; align-items:center}}
      .trygg-panel .period {{margin-top:6px; font-size:12px; color:#333}}
      .trygg-panel .warn {{margin-top:6px; color:#a50026}}
    </style>"""
    page_of(m).html.add_child(folium.Element(box))


def coverage_map(patrols: dict[str, Any], checks_report: dict[str, Any], *,
                 zones: gpd.GeoDataFrame, tracks: gpd.GeoDataFrame, heat: pd.DataFrame | None,
                 checks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, notice: str | None = None,
                 links: list[tuple[str, str]] | None = None) -> str:
    """HTML of the coverage map from the figures of ``geo.coverage``/``geo.check_coverage``
    (as dicts) and the layers (EPSG:3006). ``tracks`` are already limited to the period."""
    m = new_map(zoom_start=13)
    notes: list[str] = []
    zone_fig = {z["zone_id"]: z for z in patrols["zones"]}

    # Zones, coloured by street coverage, with their figures in a popup.
    zone_group = folium.FeatureGroup(name="Patrullområden (täckning)").add_to(m)
    for zone_id, row in to_web(zones).iterrows():
        fig = zone_fig.get(int(zone_id))
        if fig is None:
            continue
        colour = coverage_colour(fig["coverage_pct"])
        folium.GeoJson(
            shapely.geometry.mapping(row.geometry),
            style_function=lambda _f, c=colour: {"color": "#333", "weight": 2,
                                                 "fillColor": c, "fillOpacity": 0.45,
                                                 "className": "trygg-zone"},
        ).add_child(tooltip(f"{esc(fig['name'])}: {_num(fig['coverage_pct'], ' %', 1)} täckt, "
                            f"{_num(fig['minutes'], ' min')}")).add_child(
            popup(_zone_popup(fig), max_width=420)).add_to(zone_group)

    # Tracks of the period (teams, for the patrol leader), simplified for the page.
    if len(tracks):
        track_group = folium.FeatureGroup(name="Patrullspår", show=False).add_to(m)
        simple = gpd.GeoDataFrame(
            {"unit": tracks["unit"].fillna("").map(esc).to_numpy(),
             "date": pd.to_datetime(tracks["start"], utc=True).dt.tz_convert(
                 "Europe/Stockholm").dt.strftime("%Y-%m-%d %H:%M").fillna("").to_numpy()},
            geometry=shapely.simplify(tracks.geometry.values, 2.0), crs=WORK_CRS)
        folium.GeoJson(
            to_web(simple).__geo_interface__,
            style_function=lambda _f: {"color": TRACK_COLOUR, "weight": 1.5, "opacity": 0.6},
            tooltip=folium.GeoJsonTooltip(["unit", "date"], aliases=["Lag", "Start"]),
        ).add_to(track_group)

    # Presence heat: minutes per 25 m cell, drawn by Leaflet.heat served locally.
    if heat is not None and len(heat):
        pts = gpd.GeoSeries(gpd.points_from_xy(heat["x"], heat["y"]), crs=WORK_CRS).to_crs(4326)
        weights = (heat["minutes"] / heat["minutes"].max()).round(4).tolist()
        data = [[round(p.y, 6), round(p.x, 6), w] for p, w in zip(pts, weights)]
        layer = HeatMap(data, name="Närvaro (värmekarta)", radius=14, blur=12, min_opacity=0.3)
        layer.default_js = [HEAT_JS]
        layer.add_to(m)

    # Risk roads, coloured by the share of their length within the radius of a check.
    road_fig = {r["road_id"]: r for r in checks_report["roads"]}
    road_group = folium.FeatureGroup(name="Riskvägar (kontrolltäckning)").add_to(m)
    for road_id, row in to_web(roads).iterrows():
        fig = road_fig.get(int(road_id))
        if fig is None:
            continue
        dashed = bool(row.get("schematic")) if not pd.isna(row.get("schematic")) else False
        folium.GeoJson(
            shapely.geometry.mapping(row.geometry),
            style_function=lambda _f, c=coverage_colour(fig["covered_pct"]), d=dashed: {
                "color": c, "weight": 6, "opacity": 0.9, "dashArray": "8 6" if d else None},
        ).add_child(tooltip(f"{esc(fig['name'])}: {fig['checks']} kontroller, "
                            f"{_num(fig['covered_pct'], ' %', 1)} av längden täckt")).add_child(
            popup(_road_popup(fig), max_width=380)).add_to(road_group)
    if roads["schematic"].fillna(False).astype(bool).any() if "schematic" in roads else False:
        notes.append("Streckade vägar är schematiska (raka linjer genom orter): täckt längd är "
                     "ungefärlig.")

    # Performed checks of the period with a known place; unknown places are only counted.
    unknown = set(checks_report["unknown_place_ids"])
    check_group = folium.FeatureGroup(name="Trafikkontroller under perioden").add_to(m)
    done = performed_checks(checks, make_period(checks_report["period_from"],
                                                checks_report["period_to"]))
    drawn = done[~done.index.isin(list(unknown))]
    for _, row in to_web(drawn).iterrows():
        when = pd.Timestamp(row["start"]).tz_convert("Europe/Stockholm").strftime(
            "%Y-%m-%d %H:%M") if not pd.isna(row["start"]) else ""
        folium.CircleMarker(
            (row.geometry.y, row.geometry.x), radius=7, color=CHECK_COLOUR, fill=True,
            fill_opacity=0.8,
        ).add_child(popup(popup_table([
            ("Kontroll", row["place"]), ("Start", when), ("Typ", row["kinds"]),
            ("Lägesosäkerhet", _num(row.get("precision_m"), " m")),
            ("Ursprung", PROVENANCE_LABEL.get(row["provenance"], row["provenance"]))]),
            max_width=320)).add_to(check_group)
    if unknown:
        notes.append(f"{len(unknown)} kontroller under perioden har okänd plats (osäkerhet över "
                     f"{_num(checks_report['radius_m'], ' m')}) och ritas inte ut.")

    provenance = sorted(set(zones["provenance"])) if len(zones) else []
    if provenance:
        notes.append("Patrullområden: " + ", ".join(PROVENANCE_LABEL.get(p, p)
                                                    for p in provenance) + ".")
    if len(tracks):
        kinds = sorted(set(tracks["provenance"]))
        notes.append("Patrullspår: " + ", ".join(PROVENANCE_LABEL.get(p, p) for p in kinds)
                     + ". Spår visas bara för patrullchef och admin.")
    if len(zones):
        minx, miny, maxx, maxy = to_web(zones).total_bounds
        m.fit_bounds([(miny, minx), (maxy, maxx)])
    folium.LayerControl(collapsed=True, position="bottomright").add_to(m)
    items = [(colour, label) for _, colour, label in CLASSES]
    items += [(TRACK_COLOUR, "Patrullspår"), (CHECK_COLOUR, "Trafikkontroll (känd plats)")]
    add_legend(m, "Täckning (områden: gator/yta inom räckvidd; vägar: längd inom "
                  f"{_num(checks_report['radius_m'] / 1000, ' km')} från kontroll)", items, notes)
    _panel(m, patrols, checks_report, notice)
    add_header(m, "Trygg – täckning", links or [("/", "Startsida")])
    return render(m, title="Trygg – täckning")
