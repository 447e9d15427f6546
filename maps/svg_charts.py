"""Charts and small maps as inline SVG, written directly in Python (no matplotlib on the page's
path): a line chart of series over labelled steps with its axes, ticks and key, and SVG paths of
geometries already in pixel coordinates.

Numbers are Swedish (``geo.formats.number_sv``: decimal comma, no-break space between
thousands), every label is escaped (``maps.base.esc``), and each chart carries a ``<title>`` and
an ``aria-label`` for screen readers. Every drawn value is also an attribute (``data-value`` on
its marker, with the step's label in ``data-label``), so the numbers of a chart can be read back
and checked against the figures it shows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import shapely

from geo.formats import number_sv
from maps.base import esc

# Series colours: the map palette's blue, orange, purple, green, red and a grey.
PALETTE = ("#2b8cbe", "#fd8d3c", "#8856a7", "#31a354", "#d7301f", "#666666")
FONT = "font-family='sans-serif'"
KEY_LINE_PX = 16  # the height of one line of the key above the plot


def nice_ticks(top: float, *, count: int = 5, whole: bool = True) -> list[float]:
    """Evenly spaced round ticks from 0 up to at least ``top`` (steps of 1, 2, 2.5 or 5 × 10ⁿ,
    about ``count`` of them); whole numbers only when ``whole`` (counts)."""
    top = float(top) if top > 0 else 1.0
    raw = top / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if whole:
        step = max(1.0, float(math.ceil(step)))
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], *,
               title: str, y_label: str, empty_text: str, width_px: int = 640,
               height_px: int = 220) -> str:
    """A line chart of ``series`` (name → one value per label) as an ``<svg>`` element: y from
    0 with round ticks, x labels thinned to about eight, a key of the series above the plot.
    Without series it says ``empty_text``."""
    key_h = KEY_LINE_PX * len(series) + 6
    left, right, top, bottom = 52, 14, 10 + key_h, 30
    total_h = height_px + key_h
    plot_w, plot_h = width_px - left - right, total_h - top - bottom
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' role='img' "
           f"viewBox='0 0 {width_px} {total_h}' width='{width_px}' height='{total_h}' "
           f"aria-label='{esc(title)}'><title>{esc(title)}</title>"]
    values = [v for vs in series.values() for v in vs]
    whole = all(float(v).is_integer() for v in values)
    ticks = nice_ticks(max(values, default=0.0), whole=whole)
    y_max = ticks[-1]

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    def x_of(i: int) -> float:
        return left + (plot_w * (i + 0.5) / len(labels) if labels else plot_w / 2)

    for t in ticks:  # grid and y ticks
        y = y_of(t)
        out.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' "
                   f"stroke='#ddd'/><text x='{left - 5}' y='{y + 4:.1f}' text-anchor='end' "
                   f"font-size='11' {FONT}>{esc(number_sv(t))}</text>")
    out.append(f"<line x1='{left}' x2='{left}' y1='{top}' y2='{top + plot_h}' stroke='#555'/>"
               f"<line x1='{left}' x2='{left + plot_w}' y1='{top + plot_h}' "
               f"y2='{top + plot_h}' stroke='#555'/>"
               f"<text transform='translate(13 {top + plot_h / 2:.1f}) rotate(-90)' "
               f"text-anchor='middle' font-size='11' {FONT}>{esc(y_label)}</text>")
    step = max(1, len(labels) // 8)
    for i in range(0, len(labels), step):
        out.append(f"<text x='{x_of(i):.1f}' y='{top + plot_h + 17}' text-anchor='middle' "
                   f"font-size='11' {FONT}>{esc(labels[i])}</text>")
    for k, (name, vs) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        key_y = 10 + KEY_LINE_PX * k
        out.append(f"<g class='series' data-name='{esc(name)}'>"
                   f"<line x1='{left}' x2='{left + 18}' y1='{key_y + 6}' y2='{key_y + 6}' "
                   f"stroke='{colour}' stroke-width='2.5'/><text x='{left + 24}' "
                   f"y='{key_y + 10}' font-size='11' {FONT}>{esc(name)}</text>")
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(vs))
        out.append(f"<polyline points='{points}' fill='none' stroke='{colour}' "
                   "stroke-width='2'/>")
        for i, v in enumerate(vs):
            out.append(f"<circle cx='{x_of(i):.1f}' cy='{y_of(v):.1f}' r='3' fill='{colour}' "
                       f"data-label='{esc(labels[i])}' data-value='{float(v)!r}'><title>"
                       f"{esc(labels[i])}: {esc(number_sv(v))}</title></circle>")
        out.append("</g>")
    if not series:
        out.append(f"<text x='{left + plot_w / 2:.1f}' y='{top + plot_h / 2:.1f}' "
                   f"text-anchor='middle' font-size='12' {FONT}>{esc(empty_text)}</text>")
    out.append("</svg>")
    return "".join(out)


def path_data(geoms: np.ndarray) -> list[str]:
    """One SVG path ``d`` per geometry of ``geoms`` (pixel coordinates): polygon rings closed,
    lines open; an empty geometry gives ''. Coordinates are read in one pass (shapely 2)."""
    geoms = np.asarray(geoms, dtype=object)
    out = [""] * len(geoms)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    if not len(parts):
        return out
    polygon = shapely.get_type_id(parts) == 3
    rings, ring_of = shapely.get_rings(parts[polygon], return_index=True)
    pieces = np.concatenate([rings, parts[~polygon]])
    piece_geom = np.concatenate([part_of[polygon][ring_of], part_of[~polygon]])
    closed = np.concatenate([np.ones(len(rings), bool), np.zeros(len(pieces) - len(rings), bool)])
    coords, coord_of = shapely.get_coordinates(pieces, return_index=True)
    text = np.char.mod("%.1f", coords)
    pairs = np.char.add(np.char.add(text[:, 0], ","), text[:, 1])
    starts = np.flatnonzero(np.r_[True, np.diff(coord_of) != 0])
    for piece, chunk in zip(coord_of[starts], np.split(pairs, starts[1:]), strict=True):
        g = piece_geom[piece]
        out[g] += "M" + " ".join(chunk) + ("Z" if closed[piece] else "")
    return out
