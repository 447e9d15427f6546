"""Shared pieces of every folium map: local Leaflet assets, base tiles, escaping, legends.

Maps load Leaflet from the app's own /static folder, never from a CDN, so a page works offline;
only the background tiles come from the internet and a map stays usable when they fail.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geo.crs import to_web
from geo.geojson import json_value

STATIC = "/static/vendor"
# folium's popups use jQuery; bootstrap and awesome-markers are left out (not used here).
LEAFLET_JS = [("leaflet", f"{STATIC}/leaflet/leaflet.js"),
              ("jquery", f"{STATIC}/jquery/jquery.min.js")]
LEAFLET_CSS = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]
TIMRA_CENTRE = (62.49, 17.36)  # lat, lon
PROVENANCE_LABEL = {
    "real": "verklig data",
    "derived": "härledd ur verklig data",
    "illustrative": "illustrativ (exempel)",
    "simulated": "simulerad",
}


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
    m.get_root().html.add_child(folium.Element(box))


def add_header(m: folium.Map, title: str, links: Iterable[tuple[str, str]] = ()) -> None:
    """A title bar over the map with links back into the app."""
    nav = " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in links)
    bar = f"""
    <div class="trygg-header"><strong>{esc(title)}</strong> <span>{nav}</span></div>
    <style>.trygg-header {{position:fixed; top:10px; left:60px; z-index:1000; background:#fff;
      padding:6px 12px; border-radius:4px; font:14px sans-serif; box-shadow:0 1px 4px
      rgba(0,0,0,.3)}}</style>"""
    m.get_root().html.add_child(folium.Element(bar))


def render(m: folium.Map, *, title: str) -> str:
    """The map's full HTML page with a Swedish language tag and title."""
    m.get_root().title = title
    page = m.get_root().render()
    return page.replace("<html>", '<html lang="sv">', 1)
