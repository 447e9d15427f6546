"""Shared pieces of every folium map: local Leaflet assets, base tiles, escaping, legends.

Maps load Leaflet from the app's own /static folder, never from a CDN, so a page works offline;
only the background tiles come from the internet and a map stays usable when they fail.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure, MacroElement
from jinja2 import Template

from geo.crs import to_web
from geo.geojson import json_value

STATIC = "/static/vendor"
# folium's popups use jQuery; bootstrap and awesome-markers are left out (not used here).
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js"),
              ("jquery", f"{STATIC}/jquery/jquery.min.js")]
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
    m = folium.Map(location=location, zoom_start=zoom_start, tiles=None, control_scale=True)
    m.default_js = list(LEAFLET_JS)
    m.default_css = list(LEAFLET_CSS)
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

    Every user-entered text that reaches a folium map must pass through here (or through
    ``popup_table``/``escaped_geojson``, which use it)."""
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


class _Bound(MacroElement):
    """A Leaflet popup or tooltip bound to its parent layer, with its HTML passed as a JSON
    string literal: never spliced into a template literal as folium's Popup and Tooltip do."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}({{ this.content }}, {{ this.options }});
        {% endmacro %}
        """)

    def __init__(self, method: str, content_html: str, options: dict[str, Any]) -> None:
        super().__init__()
        self._name = "Bound"
        self.method = method
        self.content = js_literal(content_html)
        self.options = js_literal(options)


def popup(content_html: str, *, max_width: int = 320) -> MacroElement:
    """A popup of ``content_html`` (already escaped markup, e.g. from ``popup_table``) for
    ``layer.add_child(...)``. Use this, never ``folium.Popup``."""
    return _Bound("bindPopup", content_html, {"maxWidth": max_width})


def tooltip(content_html: str, *, sticky: bool = True) -> MacroElement:
    """A tooltip of ``content_html`` (already escaped markup, e.g. ``esc(name) + ...``) for
    ``layer.add_child(...)``. Use this, never ``folium.Tooltip`` or a ``tooltip=`` string."""
    return _Bound("bindTooltip", content_html, {"sticky": sticky})


def popup_table(rows: Iterable[tuple[str, Any]]) -> str:
    """An HTML table of label/value pairs, every value escaped."""
    body = "".join(f"<tr><th>{esc(label)}</th><td>{esc(value)}</td></tr>"
                   for label, value in rows if esc(value) != "")
    return f'<table class="trygg-popup">{body}</table>'


def escaped_geojson(gdf: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    """A GeoJSON dict in WGS84 keeping ``columns`` as escaped text, for folium tooltips."""
    web = to_web(gdf)
    props = pd.DataFrame({c: [esc(v) for v in web[c]] if c in web else "" for c in columns},
                         index=web.index)
    out = gpd.GeoDataFrame(props, geometry=web.geometry.values, crs=web.crs)
    return json.loads(out.to_json(drop_id=True))


def add_legend(m: folium.Map, title: str, items: Iterable[tuple[str, str]],
               notes: Iterable[str] = ()) -> None:
    """A fixed legend box: coloured swatches with escaped labels and notes below."""
    rows = "".join(
        f'<div><span class="sw" style="background:{html.escape(colour)}"></span>'
        f"{esc(label)}</div>" for colour, label in items)
    extra = "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    box = f"""
    <div id="trygg-legend" class="trygg-legend" role="region" aria-label="Teckenförklaring">
      <strong>{esc(title)}</strong>{rows}{extra}
    </div>
    <style>
      .trygg-legend {{position:fixed; bottom:56px; left:12px; z-index:1000; background:#fff;
        padding:8px 10px; border:1px solid #999; border-radius:4px; font:13px/1.4 sans-serif;
        max-width:320px; box-shadow:0 1px 4px rgba(0,0,0,.3)}}
      .trygg-legend .sw {{display:inline-block; width:14px; height:10px; margin-right:6px;
        border:1px solid #555; vertical-align:middle}}
      .trygg-legend .note {{color:#444; font-size:12px; margin-top:4px}}
      .trygg-popup th {{text-align:left; padding-right:8px; vertical-align:top}}
    </style>"""
    page_of(m).html.add_child(folium.Element(box))


def add_header(m: folium.Map, title: str, links: Iterable[tuple[str, str]] = ()) -> None:
    """A title bar over the map with links back into the app."""
    nav = " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links)
    bar = f"""
    <div class="trygg-header"><strong>{esc(title)}</strong> <span>{nav}</span></div>
    <style>.trygg-header {{position:fixed; top:10px; left:60px; z-index:1000; background:#fff;
      padding:6px 12px; border-radius:4px; font:14px sans-serif; box-shadow:0 1px 4px
      rgba(0,0,0,.3)}}</style>"""
    page_of(m).html.add_child(folium.Element(bar))


def render(m: folium.Map, *, title: str) -> str:
    """The map's full HTML page with a Swedish language tag and title."""
    root = page_of(m)
    root.title = title
    root.header.add_child(folium.Element(f'<meta name="csrf-token" content="{CSRF_PLACEHOLDER}">'),
                          name="trygg_csrf")
    page = root.render()
    # Every <script> here is the app's own: user text is escaped, so it holds no "<". The
    # security middleware swaps the placeholder for the response's CSP nonce.
    page = page.replace("<script", f'<script nonce="{NONCE_PLACEHOLDER}"')
    return page.replace("<html>", '<html lang="sv">', 1)
