"""The follow-up report's figures per section: its map (the layers it measures on the
municipality, without tiles) and its monthly chart.

Each is described once: ``map_view`` (extent, layers with their style, the legend's lines) and
``trend_data`` (labels and series). The HTML page draws them as inline SVG (``section_map_svg``,
``trend_chart_svg``, no matplotlib); the PDF draws the same descriptions with matplotlib
(``section_map_png``, ``trend_chart_png``, imported only when a PDF is made).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.report import Section
from maps.base import esc
from maps.svg_charts import line_chart, path_data

POINT_STYLE = {  # layer → (colour, marker, label)
    "unsafe_places": ("#8856a7", "o", "Otrygga platser (rapporterade under perioden)"),
    "events": ("#fd8d3c", "s", "Polisens händelser (placerade)"),
    "activities": ("#1b9e77", "^", "Insatser och möten"),
    "traffic_checks": ("#31a354", "D", "Trafikkontroller"),
    "actions": ("#000000", "X", "Åtgärder i löftesregistret"),
}
BOUNDARY = ("#555555", "Kommungräns")
ZONES = ("#2b8cbe", "Patrullområden")
ROADS = ("#d7301f", "Riskvägar (schematiska)")
MAP_NOTE = "SWEREF 99 TM. Ingen bakgrundskarta."
NOTHING_TO_MAP = "Inget att visa på kartan"
Y_LABEL = "per månad"
NO_SERIES = "Ingen månadsserie för detta löfte"


@dataclass
class LegendItem:
    """One line of a map's legend: what it shows, its colour and kind of symbol (``line``,
    ``dashed``, ``area`` or a point marker of ``POINT_STYLE``)."""

    label: str
    colour: str
    symbol: str


@dataclass
class MapView:
    """What a section's map shows: the extent (EPSG:3006 minx, miny, maxx, maxy; None when
    there is nothing to show), the frames by layer and the legend."""

    key: str  # unique among the page's maps (the commitment's id): names the SVG's symbols
    title: str
    bounds: tuple[float, float, float, float] | None
    boundaries: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame | None
    roads: gpd.GeoDataFrame | None
    points: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    legend: list[LegendItem] = field(default_factory=list)


def map_view(section: Section, boundaries: gpd.GeoDataFrame) -> MapView:
    """The section's map: its layers framed with a margin around what they show (the whole
    municipality when they show nothing)."""
    layers = section.map_layers
    view = MapView(section.commitment.id, section.commitment.short, None, boundaries, None, None)
    focus = []
    if len(boundaries):
        view.legend.append(LegendItem(BOUNDARY[1], BOUNDARY[0], "line"))
    zones = layers.get("patrol_zones")
    if zones is not None and len(zones):
        view.zones = zones
        view.legend.append(LegendItem(ZONES[1], ZONES[0], "area"))
        focus.append(zones.total_bounds)
    roads = layers.get("risk_roads")
    if roads is not None and len(roads):
        view.roads = roads
        view.legend.append(LegendItem(ROADS[1], ROADS[0], "dashed"))
    for name, (colour, marker, label) in POINT_STYLE.items():
        gdf = layers.get(name)
        if gdf is None or gdf.empty:
            continue
        view.points[name] = gdf
        view.legend.append(LegendItem(f"{label}: {len(gdf)}", colour, marker))
        focus.append(gdf.total_bounds)
    if focus:
        box = np.array(focus)
        minx, miny = box[:, 0].min(), box[:, 1].min()
        maxx, maxy = box[:, 2].max(), box[:, 3].max()
        pad = max(maxx - minx, maxy - miny, 1500.0) * 0.15
        view.bounds = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    elif len(boundaries):
        view.bounds = tuple(float(v) for v in boundaries.total_bounds)  # type: ignore[assignment]
    return view


def trend_data(section: Section) -> tuple[list[str], dict[str, list[float]]]:
    """The section's monthly chart: the months and the series (name → value per month)."""
    return list(section.months), {k: list(v) for k, v in section.monthly.items()}


# --- SVG (the HTML page) --------------------------------------------------------------------------

MARKER_PATHS = {  # marker → SVG path of one symbol around (0, 0), about 8 px across
    "o": "M-4,0a4,4 0 1,0 8,0a4,4 0 1,0 -8,0Z",
    "s": "M-3.5,-3.5h7v7h-7Z",
    "^": "M0,-4.5L4.5,3.5L-4.5,3.5Z",
    "D": "M0,-4.5L4.5,0L0,4.5L-4.5,0Z",
    "X": "M-4,-2.5L-2.5,-4L0,-1.5L2.5,-4L4,-2.5L1.5,0L4,2.5L2.5,4L0,1.5L-2.5,4L-4,2.5L-1.5,0Z",
}


def _symbol_svg(item: LegendItem) -> str:
    """The legend's symbol of ``item`` as a small SVG."""
    c = item.colour
    if item.symbol == "area":
        shape = f"<rect x='2' y='3' width='18' height='10' fill='{c}' fill-opacity='0.3' " \
                f"stroke='{c}'/>"
    elif item.symbol in ("line", "dashed"):
        dash = " stroke-dasharray='5 3'" if item.symbol == "dashed" else ""
        shape = f"<line x1='1' x2='21' y1='8' y2='8' stroke='{c}' stroke-width='2'{dash}/>"
    else:
        shape = f"<path transform='translate(11 8)' d='{MARKER_PATHS[item.symbol]}' " \
                f"fill='{c}' stroke='white' stroke-width='0.6'/>"
    return f"<svg width='22' height='16' aria-hidden='true'>{shape}</svg>"


def section_map_svg(view: MapView, *, width_px: int = 560, max_height_px: int = 520) -> str:
    """The map of ``view`` as a ``<figure>``: the SVG map and its legend beside it."""
    title = f"Karta: {view.title}"
    items = "".join(f"<li>{_symbol_svg(i)} {esc(i.label)}</li>" for i in view.legend)
    legend = f"<ul class='legend'>{items}</ul>" if items else ""
    if view.bounds is None:
        body = (f"<svg xmlns='http://www.w3.org/2000/svg' class='map' role='img' "
                f"viewBox='0 0 {width_px} 120' width='{width_px}' height='120' "
                f"aria-label='{esc(title)}'><title>{esc(title)}</title><text x='50%' y='60' "
                f"text-anchor='middle' font-size='13'>{esc(NOTHING_TO_MAP)}</text></svg>")
        return f"<figure class='map'>{body}{legend}<figcaption>{esc(MAP_NOTE)}</figcaption>" \
               "</figure>"
    minx, miny, maxx, maxy = view.bounds
    scale = min(width_px / (maxx - minx), max_height_px / (maxy - miny))
    w, h = (maxx - minx) * scale, (maxy - miny) * scale

    def pixels(geometry: gpd.GeoSeries) -> np.ndarray:
        """The geometries in pixels (y down), clipped to the map and simplified to 0.5 px."""
        geoms = shapely.transform(np.asarray(geometry.values, dtype=object),
                                  lambda xy: (xy - [minx, maxy]) * [scale, -scale])
        return shapely.simplify(shapely.clip_by_rect(geoms, -5, -5, w + 5, h + 5), 0.5)

    out = [f"<svg xmlns='http://www.w3.org/2000/svg' class='map' role='img' "
           f"viewBox='0 0 {w:.0f} {h:.0f}' width='{w:.0f}' height='{h:.0f}' "
           f"aria-label='{esc(title)}'><title>{esc(title)}</title>"
           f"<rect width='100%' height='100%' fill='#fbfbf8'/>"]
    if len(view.boundaries):
        d = " ".join(path_data(pixels(view.boundaries.geometry.boundary)))
        out.append(f"<path d='{d}' fill='none' stroke='{BOUNDARY[0]}' stroke-width='1'/>")
    if view.zones is not None:
        d = " ".join(path_data(pixels(view.zones.geometry)))
        out.append(f"<path d='{d}' fill='{ZONES[0]}' fill-opacity='0.25' fill-rule='evenodd' "
                   f"stroke='{ZONES[0]}' stroke-width='1'/>")
    if view.roads is not None:
        d = " ".join(path_data(pixels(view.roads.geometry)))
        out.append(f"<path d='{d}' fill='none' stroke='{ROADS[0]}' stroke-width='2' "
                   "stroke-dasharray='6 4'/>")
    for name, gdf in view.points.items():
        colour, marker, _ = POINT_STYLE[name]
        xy = shapely.get_coordinates(pixels(gdf.geometry.representative_point()))
        symbol = esc(f"m-{view.key}-{name}")
        marks = "".join(f"<use href='#{symbol}' x='{x:.1f}' y='{y:.1f}'/>" for x, y in xy)
        out.append(f"<defs><path id='{symbol}' d='{MARKER_PATHS[marker]}' fill='{colour}' "
                   f"stroke='white' stroke-width='0.6'/></defs>"
                   f"<g class='points' data-layer='{name}' data-count='{len(xy)}'>{marks}</g>")
    out.append("</svg>")
    return f"<figure class='map'>{''.join(out)}{legend}<figcaption>{esc(MAP_NOTE)}" \
           "</figcaption></figure>"


def trend_chart_svg(section: Section) -> str:
    """The section's monthly series as an SVG line chart."""
    labels, series = trend_data(section)
    return line_chart(labels, series, title=f"Månadsserie: {section.commitment.short}",
                      y_label=Y_LABEL, empty_text=NO_SERIES)


# --- PNG (the PDF; matplotlib is imported here only) ----------------------------------------------

def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # server-side: no display
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any, *, tight: bool = True) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight" if tight else None)
    _pyplot().close(fig)
    return buffer.getvalue()


def section_map_png(view: MapView, *, width_in: float = 4.7, height_in: float = 5.9,
                    dpi: int = 110) -> bytes:
    """The map of ``view`` as a PNG of exactly ``width_in`` × ``height_in``, its extent widened
    to that shape; without a legend (the PDF sets the legend beside it)."""
    plt = _pyplot()
    fig = plt.figure(figsize=(width_in, height_in), dpi=dpi)
    ax = fig.add_axes((0.005, 0.005, 0.99, 0.99))
    if len(view.boundaries):
        view.boundaries.boundary.plot(ax=ax, color=BOUNDARY[0], linewidth=0.8, zorder=1)
    if view.zones is not None:
        view.zones.plot(ax=ax, color=ZONES[0], alpha=0.25, edgecolor=ZONES[0], zorder=2)
    if view.roads is not None:
        view.roads.plot(ax=ax, color=ROADS[0], linewidth=1.6, linestyle="--", zorder=3)
    for name, gdf in view.points.items():
        colour, marker, _ = POINT_STYLE[name]
        points = gdf.geometry.representative_point()
        ax.scatter(points.x, points.y, s=36, c=colour, marker=marker, edgecolors="white",
                   linewidths=0.6, zorder=5)
    if view.bounds is not None:
        minx, miny, maxx, maxy = view.bounds
        cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
        half_w = max(maxx - minx, (maxy - miny) * width_in / height_in) / 2
        half_h = half_w * height_in / width_in
        ax.set_xlim(cx - half_w, cx + half_w)
        ax.set_ylim(cy - half_h, cy + half_h)
    else:
        ax.text(0.5, 0.5, NOTHING_TO_MAP, ha="center", va="center", transform=ax.transAxes)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_yticks([])
    return _png(fig, tight=False)


def trend_chart_png(section: Section, *, width_in: float = 6.4, height_in: float = 2.6,
                    dpi: int = 110) -> bytes:
    """The section's monthly series as a line chart (PNG)."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    labels, series = trend_data(section)
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=dpi)
    x = list(range(len(labels)))
    for label, values in series.items():
        ax.plot(x, values, marker="o", markersize=3, label=label)
    if not series:
        ax.text(0.5, 0.5, NO_SERIES, ha="center", va="center", transform=ax.transAxes)
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step])
    ax.set_xticklabels(labels[::step], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_ylabel(Y_LABEL, fontsize=8)
    top = max((max(v) for v in series.values() if len(v)), default=0)
    ax.set_ylim(0, max(1.0, top * 1.15))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}".replace(",", "\u00a0"))
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _png(fig)
