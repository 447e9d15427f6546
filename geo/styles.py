"""Default QGIS styles (QML) per layer, written into a GeoPackage's ``layer_styles`` table.

QGIS reads ``layer_styles`` when it opens a GeoPackage layer and applies the row marked
``useAsDefault``: risk roads graduated by risk weight, unsafe places and checks by category or
status, zones and boundaries outlined. Labels are Swedish; the QML follows QGIS 3's format
(``renderer-v2`` with ``Option`` maps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import quoteattr

from geo.vocabulary import VALUE_LABELS_SV

Family = Literal["point", "line", "polygon"]
QGIS_VERSION = "3.28.0-Firenze"
STYLE_NAME = "Trygg standard"  # styleName in layer_styles (a TEXT(30) column)

# Colours as "r,g,b,a" (QGIS's notation).
_RED, _ORANGE, _YELLOW = "215,25,28,255", "253,174,97,255", "255,255,191,255"
_GREEN, _BLUE, _PURPLE = "26,150,65,255", "43,131,186,255", "123,50,148,255"
_GREY, _DARK, _BROWN = "150,150,150,255", "60,60,60,255", "166,97,26,255"
_PINK, _TEAL = "208,28,139,255", "1,133,113,255"


@dataclass(frozen=True)
class _Look:
    """How one layer is drawn: one colour, categories by a field, or graduated by a field."""

    colour: str = _BLUE
    field: str | None = None
    categories: tuple[tuple[str, str], ...] = ()  # (value, colour)
    ranges: tuple[tuple[float, float, str], ...] = ()  # (lower, upper, colour)
    outline_only: bool = False
    width_mm: float = 0.8
    size_mm: float = 2.6
    marker: str = "circle"


_LOOKS: dict[str, _Look] = {
    "risk_roads": _Look(field="risk_weight", width_mm=1.4, ranges=(
        (0, 1, "255,255,178,255"), (1, 5, "254,204,92,255"), (5, 15, "253,141,60,255"),
        (15, 30, "240,59,32,255"), (30, 1_000_000, "189,0,38,255"))),
    "patrol_zones": _Look(colour=_BLUE, outline_only=True, width_mm=0.9),
    "unsafe_places": _Look(field="category", categories=(
        ("belysning", _YELLOW), ("narkotika", _PURPLE), ("ungdomar", _ORANGE), ("vald", _RED),
        ("vald_i_nara_relation", _PINK), ("sexualbrott", _PINK), ("trafik", _BLUE),
        ("skadegorelse", _BROWN), ("annat", _GREY))),
    "patrols": _Look(field="kind", width_mm=0.5, categories=(("fot", _GREEN), ("bil", _PURPLE))),
    "traffic_checks": _Look(field="status", size_mm=3.2, marker="triangle", categories=(
        ("planerad", _ORANGE), ("genomford", _GREEN))),
    "events": _Look(field="precision", size_mm=2.2, categories=(
        ("place", _RED), ("street", _RED), ("locality", _ORANGE), ("municipality", _GREY),
        ("lan", _GREY), ("several", _GREY))),
    "gazetteer": _Look(colour=_DARK, size_mm=1.6),
    "boundaries": _Look(colour=_DARK, outline_only=True, width_mm=0.7),
    "candidate_sites": _Look(field="kind", marker="square", categories=(
        ("rastficka", _TEAL), ("parkering", _BLUE), ("busshallplats", _PURPLE),
        ("annan", _GREY))),
    "activities": _Look(field="kind", marker="diamond", categories=(
        ("narkotikainsats", _PURPLE), ("informationstraff", _BLUE), ("utbildning", _TEAL),
        ("trafikinsats", _ORANGE), ("a_traktor_buskorning", _BROWN),
        ("trygghetsvandring", _GREEN), ("annat", _GREY))),
    "promise_actions": _Look(field="status", marker="star", size_mm=3.4, categories=(
        ("planerad", _ORANGE), ("pagaende", _BLUE), ("klar", _GREEN), ("installd", _GREY))),
    "follow_up_reports": _Look(colour=_PURPLE, outline_only=True, width_mm=0.6),
    "speed_cameras": _Look(colour=_DARK, marker="square", size_mm=2.4),
    "population_areas": _Look(field="kind", outline_only=True, width_mm=0.5, categories=(
        ("deso", _TEAL), ("regso", _PURPLE))),
}


def _options(values: dict[str, str]) -> str:
    inner = "".join(f'<Option name={quoteattr(k)} type="QString" value={quoteattr(v)}/>'
                    for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _symbol(name: str, family: Family, colour: str, look: _Look) -> str:
    """One QGIS symbol (marker, line or fill) in ``colour``."""
    if family == "point":
        kind, cls = "marker", "SimpleMarker"
        props = {"name": look.marker, "color": colour, "size": str(look.size_mm),
                 "size_unit": "MM", "outline_color": "35,35,35,255", "outline_width": "0.3",
                 "outline_width_unit": "MM", "outline_style": "solid"}
    elif family == "line":
        kind, cls = "line", "SimpleLine"
        props = {"line_color": colour, "line_width": str(look.width_mm), "line_width_unit": "MM",
                 "line_style": "solid", "capstyle": "round", "joinstyle": "round"}
    else:
        kind, cls = "fill", "SimpleFill"
        r, g, b, _ = colour.split(",")
        props = {"color": f"{r},{g},{b},70", "style": "no" if look.outline_only else "solid",
                 "outline_color": colour, "outline_width": str(look.width_mm),
                 "outline_width_unit": "MM", "outline_style": "solid", "joinstyle": "round"}
    return (f'<symbol type="{kind}" name={quoteattr(name)} alpha="1" clip_to_extent="1" '
            f'force_rhr="0"><layer class="{cls}" enabled="1" locked="0" pass="0">'
            f"{_options(props)}</layer></symbol>")


def _number(value: float) -> str:
    return f"{value:g}"


def _range_label(lower: float, upper: float) -> str:
    return f"{_number(lower)}–{_number(upper)}" if upper < 1e6 else f"över {_number(lower)}"


def _renderer(family: Family, look: _Look) -> str:
    if look.field and look.ranges:
        ranges = "".join(
            f'<range lower="{_number(lo)}" upper="{_number(hi)}" symbol="{i}" '
            f'label={quoteattr(_range_label(lo, hi))} render="true"/>'
            for i, (lo, hi, _) in enumerate(look.ranges))
        symbols = "".join(_symbol(str(i), family, colour, look)
                          for i, (_, _, colour) in enumerate(look.ranges))
        return (f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(look.field)} '
                'graduatedMethod="GraduatedColor" symbollevels="0" enableorderby="0" '
                f'forceraster="0"><ranges>{ranges}</ranges><symbols>{symbols}</symbols>'
                "</renderer-v2>")
    if look.field and look.categories:
        categories = "".join(
            f'<category value={quoteattr(value)} symbol="{i}" '
            f'label={quoteattr(VALUE_LABELS_SV.get(value, value))} render="true"/>'
            for i, (value, _) in enumerate(look.categories))
        n = len(look.categories)
        categories += f'<category value="" symbol="{n}" label="Övrigt" render="true"/>'
        symbols = "".join(_symbol(str(i), family, colour, look)
                          for i, (_, colour) in enumerate(look.categories))
        symbols += _symbol(str(n), family, _GREY, look)
        return (f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(look.field)} '
                'symbollevels="0" enableorderby="0" forceraster="0">'
                f"<categories>{categories}</categories><symbols>{symbols}</symbols>"
                "</renderer-v2>")
    return ('<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{_symbol("0", family, look.colour, look)}</symbols>'
            "</renderer-v2>")


def layer_qml(layer: str, family: Family) -> str:
    """The default QGIS style of ``layer`` for geometries of ``family``, as a QML document."""
    look = _LOOKS.get(layer, _Look())
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            f'<qgis version="{QGIS_VERSION}" styleCategories="Symbology">'
            f"{_renderer(family, look)}<blendMode>0</blendMode>"
            "<featureBlendMode>0</featureBlendMode><layerOpacity>1</layerOpacity></qgis>\n")


def geometry_family(geom_type: str) -> Family:
    """``"Point"``/``"MultiLineString"``… as the symbol family QGIS draws them with."""
    base = geom_type.removeprefix("Multi").lower()
    if base == "point":
        return "point"
    if base == "linestring":
        return "line"
    return "polygon"
