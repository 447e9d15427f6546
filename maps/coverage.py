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
import numpy as np
from branca.element import Figure
from jinja2 import Template

from geo.road_check_coverage import performed_checks
from geo.crs import WORK_CRS, to_web
from geo.periods import LOCAL_TZ, make_period
from geo.vocabulary import (
    BAND_SV, DAYTYPE_SV, MONTH_SHORT_SV, PROVENANCE_LONG_SV, WEEKDAY_SHORT_SV, first_upper,
)
from maps.base import (
    FeatureLayer, LazyCell, Uncompiled, esc, feature_props, js_literal, new_map, popup_table,
    render,
)

HEAT_JS = "/static/vendor/leaflet-heat/leaflet-heat.js"
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


def band_key(zone_id: int, band: str, daytype: str) -> str:
    """The key of one zone's band coverage in the answer ``band_cover_values`` makes."""
    return f"{zone_id}/{band}/{daytype}"


def band_cover_values(shares: dict[int, dict[tuple[str, str], float]]) -> dict[str, str]:
    """The coverage per zone, band and day type (``services.coverage.band_coverage``) as the
    popups show it, keyed by ``band_key``."""
    return {band_key(zone_id, band, daytype): _pct(pct)
            for zone_id, bands in shares.items() for (band, daytype), pct in bands.items()}


def _band_cover(zone: dict[str, Any], band: dict[str, Any], src: str | None) -> Any:
    text = f"{_minutes(band['minutes'])}, {band['visits']} besök, täckning "
    if not _missing(band["coverage_pct"]) or src is None:
        return text + _pct(band["coverage_pct"])
    return LazyCell(text, src=src, key=band_key(zone["zone_id"], band["band"], band["daytype"]))


def _zone_popup(zone: dict[str, Any], band_cover_src: str | None = None) -> str:
    """The zone's figures; the coverage per band and day type, when the figures leave it out,
    asked for from ``band_cover_src`` as the popup opens."""
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
            rows.append((label, _band_cover(zone, band, band_cover_src)))
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


def _week_chart(zones: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The geometry of the SVG chart of ``templates/coverage.html``: minutes per week (bars)
    against the target (dashed line), one row per zone, with its own key; its colours are not
    those of the legend."""
    if not zones or not zones[0]["weeks"]:
        return None
    weeks = [w["week"] for w in zones[0]["weeks"]]
    width, row_h, left, top = 320, 46, 112, 34
    bar_w = (width - left - 8) / max(len(weeks), 1)
    rows = []
    for i, zone in enumerate(zones):
        y0 = top + i * row_h
        peak = max([w["minutes"] for w in zone["weeks"]] + [w["target_minutes"]
                                                             for w in zone["weeks"]] + [1.0])
        scale = (row_h - 12) / peak
        bars = []
        for j, week in enumerate(zone["weeks"]):
            x = left + j * bar_w
            h = week["minutes"] * scale
            bars.append({
                "x": f"{x + 1:.1f}", "y": f"{y0 + row_h - 6 - h:.1f}",
                "w": f"{max(bar_w - 2, 1):.1f}", "h": f"{h:.1f}",
                "fill": WEEK_MET_COLOUR if week["target_met"] else WEEK_SHORT_COLOUR,
                "title": f'{zone["name"]} {week["week"]}: {_minutes(week["minutes"])} av '
                         f'{_minutes(week["target_minutes"])}',
                "x0": f"{x:.1f}", "x1": f"{x + bar_w:.1f}",
                "ty": f"{y0 + row_h - 6 - week['target_minutes'] * scale:.1f}"})
        rows.append({"name": zone["name"][:18], "y": f"{y0 + row_h / 2 + 4:.0f}", "bars": bars})
    ticks = [{"x": f"{left + j * bar_w:.1f}", "label": label[5:]} for j, label in enumerate(weeks)
             if len(weeks) <= 8 or j % max(len(weeks) // 6, 1) == 0]
    return {"width": width, "height": top + row_h * len(zones) + 14, "rows": rows,
            "ticks": ticks, "tick_y": top + row_h * len(zones) + 10,
            "met": WEEK_MET_COLOUR, "short": WEEK_SHORT_COLOUR}


def _baseline_table(zones: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Minutes per week now and in the baseline period, with the change, per zone."""
    with_base = [z for z in zones if z.get("baseline")]
    if not with_base:
        return None
    base = with_base[0]["baseline"]
    rows = []
    for z in zones:
        b = z.get("baseline")
        change = "–"
        if b:
            change = _minutes(b["change_minutes_per_week"], "", sign=True)
            if not _missing(b["change_pct"]):
                change += f" ({_pct(b['change_pct'], sign=True)})"
        rows.append((z["name"], _minutes(z["minutes_per_week"], ""),
                     _minutes(b["minutes_per_week"], "") if b else "–", change))
    return {"first": base["period_from"], "last": base["period_to"], "rows": rows}


def _panel(patrols: dict[str, Any], checks: dict[str, Any], *,
           baseline_chosen: bool) -> dict[str, Any]:
    """The panel's figures for ``templates/coverage.html`` (the template escapes them)."""
    zones = patrols["zones"]
    base = next((z["baseline"] for z in zones if z.get("baseline")), None)
    # A chosen baseline stays in the form; the default one follows the period when it changes.
    chosen = base if base is not None and baseline_chosen else {}
    summary = (f"Kontroller {checks['checks_performed']}: {checks['checks_at_risk_places']} vid "
               f"riskvägar, {checks['checks_elsewhere']} på annan plats, "
               f"{checks['checks_place_unknown']} med okänd plats. Riskviktad väglängd inom "
               f"{_num(checks['radius_m'] / 1000, ' km', 0)} från en kontroll: "
               f"{_pct(checks['weighted_covered_pct'])}.")
    period = {"first": patrols["period_from"], "last": patrols["period_to"],
              "days": patrols["days"], "reach": _num(patrols["reach_m"], " m"),
              "tracks": patrols["tracks_in_period"],
              "base_first": chosen.get("period_from", ""),
              "base_last": chosen.get("period_to", "")}
    gaps = [(z["name"], gap_text(z)) for z in sorted(zones, key=lambda z: -float(
        z["longest_gap_h"]))]
    return {"period": period, "chart": _week_chart(zones), "gaps": gaps,
            "baseline": _baseline_table(zones), "summary": summary}


def _legend(radius_m: float, notes: list[str]) -> dict[str, Any]:
    """The legend: zones by target share (border: dosage), roads by check coverage."""
    zone_items: list[tuple[str, ...]] = [(c, label) for _, c, label in TARGET_CLASSES]
    zone_items += [(NO_TARGET_COLOUR, "Inget mål satt"),
                   ("#fff", f"Streckad kant: under {_pct(DOSED_OK_PCT)} av de aktiva timmarna "
                    "har besök (minst 10 min) högst 2 h isär (Koper-dos)", "dashed")]
    road_items: list[tuple[str, ...]] = [(c, label) for _, c, label in CLASSES]
    other = [(TRACK_COLOUR, "Patrullspår"), (CHECK_COLOUR, "Trafikkontroll (känd plats)")]
    notes = [*notes, "Gatutäckningen (andel gator inom räckvidd av ett spår) står i områdets "
             "ruta: den är nära 100 % nästan överallt och skiljer inte områdena åt."]
    return {"title": "", "notes": notes, "groups": [
        {"title": "Patrullområden: andel av veckans minutmål", "items": zone_items},
        {"title": f"Riskvägar: längd inom {_num(radius_m / 1000, ' km')} från en kontroll",
         "items": road_items + other}]}


class HeatLayer(Uncompiled, folium.map.Layer):
    """Leaflet.heat (served by the app) over ``points`` (lat, lon, weight 0..1), off at first,
    its data added to the page without folium compiling it as a template."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.heatLayer({{ this.data }},
                {radius: 14, blur: 12, minOpacity: 0.3});
        {% endmacro %}
        """)

    def __init__(self, points: np.ndarray, *, name: str) -> None:
        super().__init__(name=name, overlay=True, control=True, show=False)
        self._name = "HeatLayer"
        self.data = js_literal(np.asarray(points, dtype=float).tolist())

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        assert isinstance(figure, Figure), type(figure)
        figure.header.add_child(folium.JavascriptLink(HEAT_JS), name="leaflet-heat.js")
        return super().render(**kwargs)


def _zone_style(colour: str, dashed: bool) -> dict[str, Any]:
    return {"color": "#1a1a1a", "weight": 3 if dashed else 2, "fillColor": colour,
            "fillOpacity": 0.55, "dashArray": "7 5" if dashed else None,
            "className": "trygg-zone"}


ZONE_LABEL = {"permanent": True, "direction": "center", "className": "trygg-zone-label",
              "interactive": False, "opacity": 0.95}


def _zone_layer(zones: gpd.GeoDataFrame, zone_fig: dict[int, dict[str, Any]],
                band_cover_src: str | None = None) -> FeatureLayer:
    """The zones, coloured by the share of the weekly target met, dashed when under-dosed, with
    a permanent label and the zone's figures as popup: one layer, one style per look."""
    web = to_web(zones)
    keep = [int(i) in zone_fig for i in web.index]
    styles: dict[str, dict[str, Any]] = {}
    props = []
    for zone_id in web.index[keep]:
        fig = zone_fig[int(zone_id)]
        dosed = fig["dosage"]["dosed_pct"]
        colour = target_colour(fig["target_pct"] if fig["target_minutes_per_week"] else None)
        dashed = not _missing(dosed) and float(dosed) < DOSED_OK_PCT
        key = f"{colour}{'-dashed' if dashed else ''}"
        styles.setdefault(key, _zone_style(colour, dashed))
        label = (f'<span class="name">{esc(fig["name"])}</span>'
                 f'<span class="fig">{esc(_pct(fig["target_pct"]))} av målet · dos '
                 f'{esc(_pct(fig["dosage"]["dosed_pct"]))}</span>')
        props.append(feature_props(key, popup_html=_zone_popup(fig, band_cover_src),
                                   label_html=label))
    return FeatureLayer(web.geometry.values[keep], props, styles, popup_width=420,
                        labels=ZONE_LABEL)


def _road_layer(roads: gpd.GeoDataFrame, road_fig: dict[int, dict[str, Any]]) -> FeatureLayer:
    """Risk roads coloured by the share of their length within the radius of a check (dashed
    when schematic), in the pane below the zones."""
    web = to_web(roads)
    keep = [int(i) in road_fig for i in web.index]
    schematic = (web["schematic"].fillna(False).astype(bool) if "schematic" in web
                 else pd.Series(False, index=web.index))
    styles: dict[str, dict[str, Any]] = {}
    props = []
    for road_id in web.index[keep]:
        fig = road_fig[int(road_id)]
        colour, dashed = coverage_colour(fig["covered_pct"]), bool(schematic[road_id])
        key = f"{colour}{'-dashed' if dashed else ''}"
        styles.setdefault(key, {"color": colour, "weight": 4, "opacity": 0.9,
                                "dashArray": "8 6" if dashed else None,
                                "className": "trygg-road"})
        props.append(feature_props(
            key, popup_html=_road_popup(fig),
            tooltip_html=f"{esc(fig['name'])}: {fig['checks']} kontroller, "
                         f"{esc(_pct(fig['covered_pct']))} av längden täckt"))
    return FeatureLayer(web.geometry.values[keep], props, styles, pane=ROAD_PANE,
                        popup_width=380)


def _check_layer(drawn: gpd.GeoDataFrame) -> FeatureLayer:
    """Performed checks with a known place, as dots with their popup."""
    web = to_web(drawn)
    when = pd.to_datetime(web["start"], utc=True).dt.tz_convert(LOCAL_TZ).dt.strftime(
        "%Y-%m-%d %H:%M").fillna("")
    props = [feature_props("check", popup_html=popup_table([
        ("Kontroll", row["place"]), ("Start", stamp), ("Typ", row["kinds"]),
        ("Lägesosäkerhet", _num(row.get("precision_m"), " m")),
        ("Ursprung", PROVENANCE_LONG_SV.get(row["provenance"], row["provenance"]))]))
        for stamp, (_, row) in zip(when, web.drop(columns="geometry").iterrows(), strict=True)]
    style = {"radius": 7, "color": CHECK_COLOUR, "fill": True, "fillColor": CHECK_COLOUR,
             "fillOpacity": 0.8, "weight": 3}
    return FeatureLayer(web.geometry.values, props, {"check": style})


def coverage_map(patrols: dict[str, Any], checks_report: dict[str, Any],
                 layers: CoverageLayers, *, notice: str | None = None,
                 links: list[tuple[str, str]] | None = None,
                 baseline_chosen: bool = False, band_cover_src: str | None = None) -> str:
    """The coverage page's content (``templates/coverage.html``: map, panel, legend) from the
    figures of ``geo.coverage``/``geo.road_check_coverage`` (as dicts) and the layers;
    ``baseline_chosen``: the user gave the baseline period; ``band_cover_src``: where a zone's
    popup asks for the coverage per band the figures leave out. ``links`` is accepted for old
    callers and unused: the page's navigation is the app's layout."""
    del links
    zones, tracks, heat, checks, roads = (layers.zones, layers.tracks, layers.heat,
                                          layers.checks, layers.roads)
    m = new_map(zoom_start=13)
    notes: list[str] = []
    zone_fig = {z["zone_id"]: z for z in patrols["zones"]}
    # Roads lie in a pane below the zones: a click inside a zone opens the zone, a click on a
    # road outside the zones opens the road.
    folium.map.CustomPane(ROAD_PANE, z_index=390, pointer_events=True).add_to(m)

    zone_group = folium.FeatureGroup(name="Patrullområden (andel av målet)").add_to(m)
    _zone_layer(zones, zone_fig, band_cover_src).add_to(zone_group)

    # Tracks of the period (teams, for the patrol leader), simplified for the page.
    if len(tracks):
        track_group = folium.FeatureGroup(name="Patrullspår", show=False).add_to(m)
        simple = gpd.GeoDataFrame(
            {"unit": tracks["unit"].fillna("").map(esc).to_numpy(),
             "date": pd.to_datetime(tracks["start"], utc=True).dt.tz_convert(
                 LOCAL_TZ).dt.strftime("%Y-%m-%d %H:%M").fillna("").to_numpy()},
            geometry=shapely.simplify(tracks.geometry.values, 2.0), crs=WORK_CRS)
        track_props = [feature_props("track", tooltip_html=f"Lag: {unit}<br>Start: {day}")
                       for unit, day in zip(simple["unit"], simple["date"], strict=True)]
        FeatureLayer(to_web(simple).geometry.values, track_props, {"track": {
            "color": TRACK_COLOUR, "weight": 1.5, "opacity": 0.6}}).add_to(track_group)

    # Presence heat: minutes per 25 m cell, drawn by Leaflet.heat served locally. Off at first:
    # over the zones it would hide their colours.
    if heat is not None and len(heat):
        pts = gpd.GeoSeries(gpd.points_from_xy(heat["x"], heat["y"]), crs=WORK_CRS).to_crs(4326)
        weights = (heat["minutes"] / heat["minutes"].max()).round(4).to_numpy()
        HeatLayer(np.column_stack([pts.y.round(6), pts.x.round(6), weights]),
                  name="Närvaro (värmekarta)").add_to(m)

    # Risk roads, coloured by the share of their length within the radius of a check.
    road_fig = {r["road_id"]: r for r in checks_report["roads"]}
    road_group = folium.FeatureGroup(name="Riskvägar (kontrolltäckning)").add_to(m)
    _road_layer(roads, road_fig).add_to(road_group)
    if roads["schematic"].fillna(False).astype(bool).any() if "schematic" in roads else False:
        notes.append("Streckade vägar är schematiska (raka linjer genom orter): täckt längd är "
                     "ungefärlig.")

    # Performed checks of the period with a known place; unknown places are only counted.
    unknown = set(checks_report["unknown_place_ids"])
    check_group = folium.FeatureGroup(name="Trafikkontroller under perioden").add_to(m)
    done = performed_checks(checks, make_period(checks_report["period_from"],
                                                checks_report["period_to"]))
    _check_layer(done[~done.index.isin(list(unknown))]).add_to(check_group)
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
    return render(m, "coverage.html", notice=notice,
                  legend=_legend(float(checks_report["radius_m"]), notes),
                  **_panel(patrols, checks_report, baseline_chosen=baseline_chosen))
