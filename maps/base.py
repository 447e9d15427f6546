"""Shared pieces of every folium map: local Leaflet assets, base tiles, escaping, one feature
layer per kind, and ``render``, which puts folium's map into a template of ``maps/templates``.

folium renders only the map. Panels, legends, charts and forms are Jinja templates
(``maps/templates``, autoescaped; values are rendered, never compiled), and the page around
them, header and navigation, is the app's ``api/templates/map_page.html``. Maps load Leaflet
from the app's own /static folder, never from a CDN, so a page works offline; only the
background tiles come from the internet and a map stays usable when they fail.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape

from geo.crs import to_web
from geo.geojson import json_value

STATIC = "/static/vendor"
# folium's popups use jQuery; bootstrap and awesome-markers are left out (not used here).
# /static/trygg.js holds the page helpers, among them the one feature layer (FeatureLayer).
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js"),
              ("jquery", f"{STATIC}/jquery/jquery.min.js"),
              ("trygg", "/static/trygg.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
TIMRA_CENTRE = (62.49, 17.36)  # lat, lon
# Filled in per response by api.security (the CSP nonce of inline scripts, the CSRF token).
NONCE_PLACEHOLDER = "__trygg_nonce__"
CSRF_PLACEHOLDER = "__trygg_csrf__"



def page_of(m: folium.Map) -> Figure:
    """The page (branca Figure) a map renders into: its header, body HTML and title."""
    root = m.get_root()
    assert isinstance(root, Figure), type(root)
    return root

def new_map(*, location: tuple[float, float] = TIMRA_CENTRE, zoom_start: int = 11) -> folium.Map:
    """A folium map with local Leaflet and OpenStreetMap tiles (which may fail to load)."""
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, control_scale=False)
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
    _MetricScale().add_to(m)
    folium.TileLayer(
        "OpenStreetMap", name="Bakgrundskarta (OpenStreetMap)",
        attr="© OpenStreetMap-bidragsgivare",
    ).add_to(m)
    return m


# folium renders a map's HTML and then compiles parts of it again as Jinja templates, so "{{"
# in user text would be evaluated on the server (template injection). Braces become entities.
_TEMPLATE_CHARS = str.maketrans({"{": "&#123;", "}": "&#125;"})


def esc(value: Any) -> str:
    """Any value as HTML-escaped text ('' for missing), with Jinja's braces neutralised.

    Every user-entered text that reaches a map must pass through here (or through
    ``popup_table``/``escaped_geojson``, which use it): popups, tooltips and labels of a
    ``FeatureLayer`` are markup, shown by Leaflet as HTML."""
    value = json_value(value)
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    if isinstance(value, float):
        value = f"{value:,.1f}".replace(",", "\u00a0")
    return html.escape(str(value), quote=True).translate(_TEMPLATE_CHARS)


# Characters re-encoded inside JavaScript string literals: "<", ">" and "&" so no text can close
# the <script> element or open a comment, U+2028/9 (line breaks in older engines), the braces
# (folium compiles script text as Jinja once more), backtick and "$" (inert in a "..." literal,
# but harmless to encode should the text ever reach a template literal).
_JS_UNSAFE = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029{}`$"}
# A string token of json.dumps output (object braces outside strings are structure and stay).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def js_literal(value: Any) -> str:
    """``value`` as JSON that is safe anywhere inside an inline ``<script>``: strings become
    double-quoted literals with backslashes, quotes, ``<``, ``>``, ``&``, braces, backticks,
    ``$`` and U+2028/9 encoded as escapes. The one way text from Python enters script text."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_JS_UNSAFE), text)


def json_island(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` data island (read with JSON.parse):
    nothing in it can close the element or be read as markup or a template."""
    return js_literal(value)


class _MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)


class _Script(Element):
    """Script text added to the page as it is: never compiled as a template again."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Uncompiled(MacroElement):
    """A macro element whose script text (which may be large: a layer's data) is added to the
    page as it is. folium's ``MacroElement`` wraps it in ``Element``, which compiles it as a
    Jinja template once more: most of the time of a map with much data, and the reason text
    from users must have its braces neutralised."""

    def render(self, **kwargs: Any) -> str:
        figure = self.get_root()
        assert isinstance(figure, Figure), type(figure)
        script = self._template.module.__dict__["script"]
        figure.script.add_child(_Script(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""


class FeatureLayer(Uncompiled):
    """One Leaflet GeoJSON layer for a whole kind of feature, drawn by ``Trygg.featureLayer``
    (/static/trygg.js): the features as one JSON literal, each naming its look in ``styles``
    (property ``s``), with its ``popup``, ``tooltip`` or permanent ``label`` as escaped
    markup. One layer and one style table instead of a folium layer and a style function per
    feature."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = Trygg.featureLayer({{ this.data }}, {{ this.styles }},
                {{ this.options }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, geometries: Any, properties: list[dict[str, Any]],
                 styles: dict[str, dict[str, Any]], *, pane: str | None = None,
                 popup_width: int = 320, labels: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._name = "FeatureLayer"
        # GeoJSON of all geometries at once (numbers and structure only); properties through
        # js_literal, the one way text enters script text.
        shapes = shapely.to_geojson(np.asarray(geometries, dtype=object))
        self.data = ('{"type": "FeatureCollection", "features": [' + ", ".join(
            f'{{"type": "Feature", "geometry": {shape}, "properties": {js_literal(props)}}}'
            for shape, props in zip(shapes, properties, strict=True)) + "]}")
        self.styles = js_literal(styles)
        options: dict[str, Any] = {"popupWidth": popup_width}
        if pane:
            options["pane"] = pane
        if labels:
            options["labels"] = labels
        self.options = js_literal(options)


def feature_props(style: str, *, popup_html: str | None = None, tooltip_html: str | None = None,
                  label_html: str | None = None, radius_m: float | None = None
                  ) -> dict[str, Any]:
    """The properties of one feature of a ``FeatureLayer``: the key of its style, its popup,
    tooltip or permanent label markup (already escaped: ``popup_table``, ``esc``) and, for a
    point drawn as a circle in metres, its own radius."""
    props: dict[str, Any] = {"s": style}
    if radius_m is not None:
        props["r"] = round(float(radius_m), 1)
    for key, value in (("popup", popup_html), ("tooltip", tooltip_html), ("label", label_html)):
        if value is not None:
            props[key] = value
    return props


@dataclass(frozen=True)
class LazyCell:
    """A popup value of which a part is asked for when the popup opens (``trygg.js``): the
    text ``before`` it, then ``placeholder`` until the JSON at ``src`` answers; its
    ``values[key]`` takes the placeholder's place. For figures too costly to compute for every
    popup when the page is made."""

    before: str
    src: str
    key: str
    placeholder: str = "beräknas …"

    def html(self) -> str:
        return (f'{esc(self.before)}<span class="trygg-lazy" data-src="{esc(self.src)}" '
                f'data-key="{esc(self.key)}">{esc(self.placeholder)}</span>')


def _cell(value: Any) -> str:
    return value.html() if isinstance(value, LazyCell) else esc(value)


def popup_table(rows: Iterable[tuple[str, Any]]) -> str:
    """An HTML table of label/value pairs, every value escaped (a ``LazyCell`` filled in when
    the popup opens)."""
    body = "".join(f"<tr><th>{esc(label)}</th><td>{_cell(value)}</td></tr>"
                   for label, value in rows if _cell(value) != "")
    return f'<table class="trygg-popup">{body}</table>'


def escaped_geojson(gdf: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    """A GeoJSON dict in WGS84 keeping ``columns`` as escaped text, for folium tooltips."""
    web = to_web(gdf)
    props = pd.DataFrame({c: [esc(v) for v in web[c]] if c in web else "" for c in columns},
                         index=web.index)
    out = gpd.GeoDataFrame(props, geometry=web.geometry.values, crs=web.crs)
    return json.loads(out.to_json(drop_id=True))


def legend(title: str, items: Iterable[tuple[str, str]], notes: Iterable[str] = (),
           ) -> dict[str, Any]:
    """A legend for ``templates/legend.html``: coloured swatches with labels and notes below
    (the template escapes them)."""
    return {"title": title, "groups": [{"title": "", "items": list(items)}],
            "notes": list(notes)}


# The templates of map content: the folium map and the panels, legends and charts around it.
# Autoescaped; values are rendered, never compiled, so user text cannot run as a template.
TEMPLATES = Environment(loader=PackageLoader("maps", "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True),
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_META = re.compile(r"<meta\b[^>]*>\s*")


def render(m: folium.Map, template: str = "map.html", **context: Any) -> str:
    """The content of a map page: folium's map (its CSS and script links, the map element and
    its script) inside ``template`` (from ``maps/templates``, extending ``map.html``), which
    adds the panels, legends and forms. The page layout around it (header, navigation) is the
    app's ``map_page.html``. Every ``<script>`` gets the CSP nonce placeholder that the security
    middleware fills in per response."""
    root = page_of(m)
    for child in root._children.values():  # as Figure.render: children fill header and script
        child.render()
    parts = {"head": _META.sub("", root.header.render()), "body": root.html.render(),
             "script": root.script.render(), "map_name": m.get_name()}
    page = TEMPLATES.get_template(template).render(map=parts, **context)
    # Every <script> here is the app's own: user text is escaped, so it holds no "<".
    return page.replace("<script", f'<script nonce="{NONCE_PLACEHOLDER}"')
