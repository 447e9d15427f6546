"""The coverage map: patrol zones coloured by the share of their weekly minute target met (the
border tells the Koper dosage), with permanent labels, patrol tracks, a presence heat layer,
risk roads coloured by check coverage (below the zones, so a click inside a zone gives the zone)
and a panel with the period, a chart of minutes per week against the target, the longest gap of
each zone and the comparison with a baseline period. Swedish labels; every text shown is escaped;
figures are shown with the precision they support (whole minutes and whole percent)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.plugins import HeatMap
from jinja2 import Template

from geo.road_check_coverage import performed_checks
from geo.crs import WORK_CRS, to_web
from geo.periods import LOCAL_TZ, make_period
from geo.vocabulary import (
    BAND_SV, DAYTYPE_SV, MONTH_SHORT_SV, PROVENANCE_LONG_SV, WEEKDAY_SHORT_SV, first_upper,
)
from maps.base import (
    add_header, esc, js_literal, new_map, page_of, popup, popup_table, render,
    tooltip,
)

HEAT_JS = ("leaflet-heat.js", "/static/vendor/leaflet-heat/leaflet-heat.js")
PAGE_CSS = "/static/coverage.css"
PAGE_JS = "/static/coverage.js"
# Zones: the share of the weekly minute target met (lower bound in %, colour, label). Only a zone
# that meets its target is green.
TARGET_CLASSES = [(100.0, "#1a9850", "Målet nått (minst 100 %)"),
                  (75.0, "#fee08b", "75–99 % av målet"),
                  (50.0, "#fc8d59", "50–74 % av målet"),
                  (0.0, "#d73027", "Under 50 % av målet")]
NO_TARGET_COLOUR = "#bdbdbd"
# Zones whose dosed share of active time is below this get a dashed border.
DOSED_OK_PCT = 50.0
# Risk roads: the share of the length within the radius of a check.
CLASSES = [(90.0, "#1a9850", "90–100 %"), (75.0, "#91cf60", "75–90 %"),
           (50.0, "#fee08b", "50–75 %"), (25.0, "#fc8d59", "25–50 %"),
           (0.0, "#d73027", "0–25 %")]
TRACK_COLOUR = "#3b4cc0"
CHECK_COLOUR = "#6a3d9a"
# The week chart's own colours (blues and black), distinct from every colour of the legend.
WEEK_MET_COLOUR = "#08519c"
WEEK_SHORT_COLOUR = "#9ecae1"
ROAD_PANE = "trygg-roads"  # below the overlay pane of the zones


@dataclass(frozen=True)
class CoverageLayers:
    """The layers the map is drawn from (EPSG:3006); ``tracks`` already limited to the period."""

    zones: gpd.GeoDataFrame
    tracks: gpd.GeoDataFrame
    heat: pd.DataFrame | None
    checks: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def coverage_colour(pct: float | None) -> str:
    """The class colour of a road's coverage percentage (grey when unknown)."""
    if pct is None or pd.isna(pct):
        return "#999999"
    return next(colour for low, colour, _ in CLASSES if pct >= low)


def target_colour(pct: float | None) -> str:
    """The class colour of a zone's share of its weekly target (grey without a target)."""
    if _missing(pct):
        return NO_TARGET_COLOUR
    return next(colour for low, colour, _ in TARGET_CLASSES if float(pct) >= low)  # type: ignore[arg-type]


def _num(value: Any, unit: str = "", digits: int = 0, *, sign: bool = False) -> str:
    """A number in Swedish format: decimal comma, a (non-breaking) space between thousands,
    a true minus sign; ``sign`` adds "+" to positive numbers."""
    if _missing(value):
        return "–"
    number = round(float(value), digits)
    if number == 0:
        number = 0.0  # no "−0"
    text = f"{abs(number):,.{digits}f}".replace(",", "\u00a0").replace(".", ",")
    prefix = "−" if number < 0 else ("+" if sign and number > 0 else ("±" if sign else ""))
    return f"{prefix}{text}{unit}"


def _pct(value: Any, *, sign: bool = False) -> str:
    """A percentage to the whole percent; a share below 100 % never reads "100 %" (nor one
    above 0 % "0 %"), so the text agrees with the colour class."""
    if _missing(value):
        return "–"
    v = float(value)
    shown = round(v)
    if not sign:
        if 99.0 < v < 100.0:
            shown = 99
        elif 0.0 < v < 1.0:
            shown = 1
    return _num(shown, "\u00a0%", sign=sign)


def _minutes(value: Any, unit: str = "\u00a0min", *, sign: bool = False) -> str:
    return _num(value, unit, sign=sign)


def duration_text(hours: float) -> str:
    """A duration as "4 dygn 15 h 34 min", "3 h 40 min" or "25 min" (whole minutes)."""
    total = int(round(hours * 60.0))
    days, rest = divmod(total, 24 * 60)
    h, m = divmod(rest, 60)
    parts = ([f"{days}\u00a0dygn"] if days else []) + ([f"{h}\u00a0h"] if h else [])
    if m or not parts:
        parts.append(f"{m}\u00a0min")
    return " ".join(parts)


def _day_text(stamp: pd.Timestamp) -> str:
    return f"{WEEKDAY_SHORT_SV[stamp.weekday()]} {stamp.day} {MONTH_SHORT_SV[stamp.month - 1]}"


def span_text(first: str, last: str) -> str:
    """Two local times "YYYY-MM-DD HH:MM" as "tis 5 nov 14:00–17:40" or, over several days,
    "lör 2 nov 00:01 – ons 6 nov 15:35"."""
    try:
        a, b = pd.Timestamp(first), pd.Timestamp(last)
    except ValueError:
        return f"{first} – {last}"
    if a.date() == b.date():
        return f"{_day_text(a)} {a:%H:%M}–{b:%H:%M}"
    return f"{_day_text(a)} {a:%H:%M} – {_day_text(b)} {b:%H:%M}"


def gap_text(zone: dict[str, Any]) -> str:
    """ "3 h 40 min, tis 5 nov 14:00–17:40": the zone's longest time without a visit."""
    return (f"{duration_text(float(zone['longest_gap_h']))}, "
            f"{span_text(zone['longest_gap_from'], zone['longest_gap_to'])}")


def _target_text(zone: dict[str, Any]) -> str:
    if not zone["target_minutes_per_week"]:
        return f"{_minutes(zone['minutes_per_week'])} per vecka (inget mål satt)"
    return (f"{_minutes(zone['minutes_per_week'])} av {_minutes(zone['target_minutes_per_week'])}"
            f" per vecka ({_pct(zone['target_pct'])} av målet)")


def _baseline_text(base: dict[str, Any]) -> str:
    change = _minutes(base["change_minutes_per_week"], "\u00a0min/vecka", sign=True)
    if not _missing(base["change_pct"]):
        change += f" ({_pct(base['change_pct'], sign=True)})"
    return (f"{_minutes(base['minutes_per_week'], ' min/vecka')} "
            f"({base['period_from']} – {base['period_to']}), förändring {change}")


def _zone_popup(zone: dict[str, Any]) -> str:
    dosage = zone["dosage"]
    rows: list[tuple[str, Any]] = [
        ("Område", zone["name"]),
        ("Mål per vecka", _target_text(zone)),
        ("Koper-dos", f"{_pct(dosage['dosed_pct'])} av de aktiva timmarna "
                      f"({dosage['active_hours']}) har besök på minst "
                      f"{_num(dosage['min_visit_min'])} min högst "
                      f"{_num(dosage['max_gap_h'])} h isär"),
        ("Närvaro", f"{_minutes(zone['minutes'])} under perioden"),
        ("Besök", f"{zone['visits']}, varav {dosage['long_visits']} på minst "
                  f"{_num(dosage['min_visit_min'])} min"),
        ("Längsta lucka", gap_text(zone)),
        ("Gatutäckning" if zone["coverage_basis"] == "gatulangd" else "Yttäckning",
         f"{_pct(zone['coverage_pct'])} inom räckvidd av ett spår"),
    ]
    base = zone.get("baseline")
    if base:
        rows.append(("Jämförelseperiod", _baseline_text(base)))
    for band in zone["bands"]:
        if band["daytype"] == "alla" or band["band"] == "alla":
            label = first_upper(BAND_SV[band["band"]] if band["band"] != "alla"
                                else DAYTYPE_SV.get(band["daytype"], ""))
            rows.append((label, f"{_minutes(band['minutes'])}, {band['visits']} besök, "
                                f"täckning {_pct(band['coverage_pct'])}"))
    teams = "; ".join(f"{t['unit']}: {_minutes(t['minutes'])}" for t in zone["teams"])
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
            ("Täckt längd", f"{_pct(road['covered_pct'])} av "
                            f"{_num(road['length_m'] / 1000, ' km', 1)}")]
    for key, label in labels.items():
        r = res[key]
        rows.append((label, f"{r['total']}" + (f" (okänt i {r['unknown']})" if r["unknown"]
                                                else "")))
    return popup_table(rows)


class _ZoneLabel(MacroElement):
    """A permanent label (a Leaflet tooltip) on its parent layer, its HTML passed as a JSON
    string literal (``maps.base.js_literal``), as ``maps.base.tooltip`` does."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.content }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(self, content_html: str) -> None:
        super().__init__()
        self._name = "ZoneLabel"
        self.content = js_literal(content_html)
        self.options = js_literal({"permanent": True, "direction": "center",
                                   "className": "trygg-zone-label", "interactive": False,
                                   "opacity": 0.95})


def _week_chart(zones: list[dict[str, Any]]) -> str:
    """Inline SVG: minutes per week (bars) against the target (dashed line), one row per zone,
    with its own key; its colours are not those of the legend."""
    if not zones or not zones[0]["weeks"]:
        return ""
    weeks = [w["week"] for w in zones[0]["weeks"]]
    width, row_h, left, top = 320, 46, 112, 34
    bar_w = (width - left - 8) / max(len(weeks), 1)
    parts = [f'<svg id="trygg-week-chart" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {width} {top + row_h * len(zones) + 14}" width="100%" role="img" '
             'aria-label="Minuter fotpatrull per vecka mot målet">',
             '<text x="0" y="11" font-size="11" font-weight="bold">Minuter per vecka mot mål'
             '</text>',
             '<g id="trygg-week-key" font-size="10">'
             f'<rect x="0" y="18" width="10" height="9" fill="{WEEK_MET_COLOUR}"/>'
             '<text x="13" y="26">målet nått</text>'
             f'<rect x="78" y="18" width="10" height="9" fill="{WEEK_SHORT_COLOUR}" '
             'stroke="#4a4a4a" stroke-width="0.5"/>'
             '<text x="91" y="26">under målet</text>'
             '<line x1="166" x2="186" y1="22.5" y2="22.5" stroke="#000" '
             'stroke-dasharray="3 2"/><text x="190" y="26">veckans mål</text></g>']
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
            colour = WEEK_MET_COLOUR if week["target_met"] else WEEK_SHORT_COLOUR
            title = esc(f'{zone["name"]} {week["week"]}: {_minutes(week["minutes"])} av '
                        f'{_minutes(week["target_minutes"])}')
            parts.append(f'<rect x="{x + 1:.1f}" y="{y0 + row_h - 6 - h:.1f}" '
                         f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="{colour}" '
                         f'stroke="#4a4a4a" stroke-width="0.5"><title>{title}</title></rect>')
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


def _gap_list(zones: list[dict[str, Any]]) -> str:
    """The zones' longest gaps, longest first."""
    items = "".join(
        f"<li><strong>{esc(z['name'])}</strong>: {esc(gap_text(z))}</li>"
        for z in sorted(zones, key=lambda z: -float(z["longest_gap_h"])))
    return (f'<h3>Längsta lucka utan besök</h3><ul id="trygg-gaps">{items}</ul>'
            '<div class="note">Dygnet runt, periodens början och slut medräknade.</div>')


def _baseline_table(zones: list[dict[str, Any]]) -> str:
    """Minutes per week now and in the baseline period, with the change, per zone."""
    with_base = [z for z in zones if z.get("baseline")]
    if not with_base:
        return ""
    base = with_base[0]["baseline"]
    rows = []
    for z in zones:
        b = z.get("baseline")
        change = "–"
        if b:
            change = _minutes(b["change_minutes_per_week"], "", sign=True)
            if not _missing(b["change_pct"]):
                change += f" ({_pct(b['change_pct'], sign=True)})"
        rows.append(f"<tr><th>{esc(z['name'])}</th><td>{esc(_minutes(z['minutes_per_week'], ''))}"
                    f"</td><td>{esc(_minutes(b['minutes_per_week'], '') if b else '–')}</td>"
                    f"<td>{esc(change)}</td></tr>")
    return (f'<h3>Jämfört med {esc(base["period_from"])} – {esc(base["period_to"])}</h3>'
            '<table id="trygg-baseline"><thead><tr><th>Område</th><th>Nu</th><th>Då</th>'
            f'<th>Förändring</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            '<div class="note">Minuter per vecka.</div>')


def _panel(m: folium.Map, patrols: dict[str, Any], checks: dict[str, Any],
           notice: str | None, *, baseline_chosen: bool) -> None:
    warn = f'<div class="warn" role="alert">{esc(notice)}</div>' if notice else ""
    zones = patrols["zones"]
    base = next((z["baseline"] for z in zones if z.get("baseline")), None)
    # A chosen baseline stays in the form; the default one follows the period when it changes.
    base_from = base["period_from"] if base and baseline_chosen else ""
    base_to = base["period_to"] if base and baseline_chosen else ""
    summary = (f"Kontroller {checks['checks_performed']}: {checks['checks_at_risk_places']} vid "
               f"riskvägar, {checks['checks_elsewhere']} på annan plats, "
               f"{checks['checks_place_unknown']} med okänd plats. Riskviktad väglängd inom "
               f"{_num(checks['radius_m'] / 1000, ' km', 0)} från en kontroll: "
               f"{_pct(checks['weighted_covered_pct'])}.")
    box = f"""
    <details id="trygg-panel" class="trygg-panel trygg-box" open>
      <summary>Period, veckor och luckor</summary>
      <form id="trygg-period" method="get" action="/kartor/tackning">
        <fieldset><legend>Period</legend>
        <label>Från <input type="date" name="from" value="{esc(patrols['period_from'])}"
          required></label>
        <label>Till <input type="date" name="to" value="{esc(patrols['period_to'])}"
          required></label></fieldset>
        <fieldset><legend>Jämför med (tomt: lika många dagar närmast före)</legend>
        <label>Från <input type="date" name="baseline_from" value="{esc(base_from)}"></label>
        <label>Till <input type="date" name="baseline_to" value="{esc(base_to)}"></label>
        </fieldset>
        <button type="submit">Visa</button>
      </form>{warn}
      <div class="period">Period {esc(patrols['period_from'])} – {esc(patrols['period_to'])}
        ({patrols['days']} dagar), räckvidd {esc(_num(patrols['reach_m'], ' m'))},
        {patrols['tracks_in_period']} pass.</div>
      {_week_chart(zones)}
      {_gap_list(zones)}
      {_baseline_table(zones)}
      <div class="period">{esc(summary)}</div>
    </details>"""
    page_of(m).html.add_child(folium.Element(box))


def _legend(m: folium.Map, radius_m: float, notes: list[str]) -> None:
    """The legend: zones by target share (border: dosage), roads by check coverage."""
    def swatch(colour: str, label: str, extra: str = "") -> str:
        return (f'<div><span class="sw" style="background:{esc(colour)}{extra}"></span>'
                f"{esc(label)}</div>")

    zone_rows = "".join(swatch(c, label) for _, c, label in TARGET_CLASSES)
    zone_rows += swatch(NO_TARGET_COLOUR, "Inget mål satt")
    zone_rows += swatch("#fff", f"Streckad kant: under {_pct(DOSED_OK_PCT)} av de aktiva "
                        "timmarna har besök (minst 10 min) högst 2 h isär (Koper-dos)",
                        "; border:2px dashed #000")
    road_rows = "".join(swatch(c, label) for _, c, label in CLASSES)
    other = swatch(TRACK_COLOUR, "Patrullspår") + swatch(CHECK_COLOUR,
                                                         "Trafikkontroll (känd plats)")
    extra = "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    box = f"""
    <details id="trygg-legend" class="trygg-legend trygg-box" open role="region"
      aria-label="Teckenförklaring">
      <summary>Teckenförklaring</summary>
      <strong>Patrullområden: andel av veckans minutmål</strong>{zone_rows}
      <strong>Riskvägar: längd inom {esc(_num(radius_m / 1000, ' km'))} från en kontroll
      </strong>{road_rows}{other}{extra}
      <div class="note">Gatutäckningen (andel gator inom räckvidd av ett spår) står i områdets
        ruta: den är nära 100 % nästan överallt och skiljer inte områdena åt.</div>
    </details>"""
    page_of(m).html.add_child(folium.Element(box))


def _zone_style(colour: str, dashed: bool) -> dict[str, Any]:
    return {"color": "#1a1a1a", "weight": 3 if dashed else 2, "fillColor": colour,
            "fillOpacity": 0.55, "dashArray": "7 5" if dashed else None,
            "className": "trygg-zone"}


def coverage_map(patrols: dict[str, Any], checks_report: dict[str, Any],
                 layers: CoverageLayers, *, notice: str | None = None,
                 links: list[tuple[str, str]] | None = None,
                 baseline_chosen: bool = False) -> str:
    """HTML of the coverage map from the figures of ``geo.coverage``/``geo.road_check_coverage``
    (as dicts) and the layers; ``baseline_chosen``: the user gave the baseline period."""
    zones, tracks, heat, checks, roads = (layers.zones, layers.tracks, layers.heat,
                                          layers.checks, layers.roads)
    m = new_map(zoom_start=13)
    page_of(m).header.add_child(folium.Element(
        f'<link rel="stylesheet" href="{PAGE_CSS}">'), name="trygg_coverage_css")
    notes: list[str] = []
    zone_fig = {z["zone_id"]: z for z in patrols["zones"]}
    # Roads lie in a pane below the zones: a click inside a zone opens the zone, a click on a
    # road outside the zones opens the road.
    folium.map.CustomPane(ROAD_PANE, z_index=390, pointer_events=True).add_to(m)

    # Zones, coloured by the share of the weekly target met, dashed when under-dosed.
    zone_group = folium.FeatureGroup(name="Patrullområden (andel av målet)").add_to(m)
    for zone_id, row in to_web(zones).iterrows():
        fig = zone_fig.get(int(zone_id))
        if fig is None:
            continue
        dosed = fig["dosage"]["dosed_pct"]
        style = _zone_style(target_colour(fig["target_pct"] if fig["target_minutes_per_week"]
                                          else None),
                            not _missing(dosed) and float(dosed) < DOSED_OK_PCT)
        label = (f'<span class="name">{esc(fig["name"])}</span>'
                 f'<span class="fig">{esc(_pct(fig["target_pct"]))} av målet · dos '
                 f'{esc(_pct(fig["dosage"]["dosed_pct"]))}</span>')
        folium.GeoJson(
            shapely.geometry.mapping(row.geometry),
            style_function=lambda _f, s=style: s,
        ).add_child(_ZoneLabel(label)).add_child(
            popup(_zone_popup(fig), max_width=420)).add_to(zone_group)

    # Tracks of the period (teams, for the patrol leader), simplified for the page.
    if len(tracks):
        track_group = folium.FeatureGroup(name="Patrullspår", show=False).add_to(m)
        simple = gpd.GeoDataFrame(
            {"unit": tracks["unit"].fillna("").map(esc).to_numpy(),
             "date": pd.to_datetime(tracks["start"], utc=True).dt.tz_convert(
                 LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M").fillna("").to_numpy()},
            geometry=shapely.simplify(tracks.geometry.values, 2.0), crs=WORK_CRS)
        folium.GeoJson(
            to_web(simple).__geo_interface__,
            style_function=lambda _f: {"color": TRACK_COLOUR, "weight": 1.5, "opacity": 0.6},
            tooltip=folium.GeoJsonTooltip(["unit", "date"], aliases=["Lag", "Start"]),
        ).add_to(track_group)

    # Presence heat: minutes per 25 m cell, drawn by Leaflet.heat served locally. Off at first:
    # over the zones it would hide their colours.
    if heat is not None and len(heat):
        pts = gpd.GeoSeries(gpd.points_from_xy(heat["x"], heat["y"]), crs=WORK_CRS).to_crs(4326)
        weights = (heat["minutes"] / heat["minutes"].max()).round(4).tolist()
        data = [[round(p.y, 6), round(p.x, 6), w] for p, w in zip(pts, weights, strict=True)]
        layer = HeatMap(data, name="Närvaro (värmekarta)", radius=14, blur=12, min_opacity=0.3,
                        show=False)
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
        road_style = {"color": coverage_colour(fig["covered_pct"]), "weight": 4, "opacity": 0.9,
                      "dashArray": "8 6" if dashed else None, "className": "trygg-road"}
        folium.GeoJson(
            shapely.geometry.mapping(row.geometry), pane=ROAD_PANE,
            style_function=lambda _f, s=road_style: s,
        ).add_child(tooltip(f"{esc(fig['name'])}: {fig['checks']} kontroller, "
                            f"{esc(_pct(fig['covered_pct']))} av längden täckt")).add_child(
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
        when = pd.Timestamp(row["start"]).tz_convert(LOCAL_TZ).strftime(
            "%Y-%m-%d %H:%M") if not pd.isna(row["start"]) else ""
        folium.CircleMarker(
            (row.geometry.y, row.geometry.x), radius=7, color=CHECK_COLOUR, fill=True,
            fill_opacity=0.8,
        ).add_child(popup(popup_table([
            ("Kontroll", row["place"]), ("Start", when), ("Typ", row["kinds"]),
            ("Lägesosäkerhet", _num(row.get("precision_m"), " m")),
            ("Ursprung", PROVENANCE_LONG_SV.get(row["provenance"], row["provenance"]))]),
            max_width=320)).add_to(check_group)
    if unknown:
        notes.append(f"{len(unknown)} kontroller under perioden har okänd plats (osäkerhet över "
                     f"{_num(checks_report['radius_m'], ' m')}) och ritas inte ut.")

    provenance = sorted(set(zones["provenance"])) if len(zones) else []
    if provenance:
        notes.append("Patrullområden: " + ", ".join(PROVENANCE_LONG_SV.get(p, p)
                                                    for p in provenance) + ".")
    if len(tracks):
        kinds = sorted(set(tracks["provenance"]))
        notes.append("Patrullspår: " + ", ".join(PROVENANCE_LONG_SV.get(p, p) for p in kinds)
                     + ". Spår visas bara för patrullchef och admin.")
    if len(zones):
        minx, miny, maxx, maxy = to_web(zones).total_bounds
        m.fit_bounds([(miny, minx), (maxy, maxx)])
    folium.LayerControl(collapsed=True, position="bottomright").add_to(m)
    _legend(m, float(checks_report["radius_m"]), notes)
    _panel(m, patrols, checks_report, notice, baseline_chosen=baseline_chosen)
    add_header(m, "Trygg – täckning", links or [("/", "Startsida")])
    page_of(m).html.add_child(folium.Element(f'<script src="{PAGE_JS}"></script>'))
    return render(m, title="Trygg – täckning")
