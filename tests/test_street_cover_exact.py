"""The shortcuts of street coverage checked against shapely on the same input: zone cells found
inside by the even-odd rule along rows, band stretches looked up per hour (times at and a
microsecond around a band boundary), and street length measured by capsule intervals (streets
and walks along cell lines, track ends, single pings, reaches 5 and 100 m)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.coverage import patrol_coverage_vertices, vertices_from_arrays
from geo.crs import WORK_CRS
from geo.periods import LOCAL_TZ, make_period
from geo.street_length import capsule_intervals, union_length
from geo.zone_grid import zone_edges, zone_grid

E0, N0 = 617_000.0, 6_929_000.0
DAY = make_period("2024-10-02", "2024-10-02")  # a Wednesday
NOON = pd.Timestamp("2024-10-02T12:00:00", tz=LOCAL_TZ).timestamp()
SIX_PM = pd.Timestamp("2024-10-02T18:00:00", tz=LOCAL_TZ).timestamp()  # day → evening


def zones_of(poly: shapely.Geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Torget"]}, geometry=[poly], crs=WORK_CRS,
                            index=pd.Index([1], name="id"))


def line_xy(x0: float, y0: float, x1: float, y1: float, step_m: float = 1.3) -> np.ndarray:
    n = max(int(np.ceil(np.hypot(x1 - x0, y1 - y0) / step_m)), 1)
    return np.array([x0, y0]) + np.linspace(0, 1, n + 1)[:, None] * np.array([x1 - x0, y1 - y0])


def coverage(walks: list[tuple[np.ndarray, np.ndarray]], poly: shapely.Geometry, *,
             reach_m: float, streets: list[shapely.Geometry] | None = None):
    """The zone's figures for walks of (x, y relative to the corner, epoch seconds)."""
    xy = np.concatenate([w[0] for w in walks]) + [E0, N0]
    t = np.concatenate([w[1] for w in walks])
    track = np.repeat(np.arange(len(walks)), [len(w[0]) for w in walks])
    frame = gpd.GeoDataFrame(geometry=streets, crs=WORK_CRS) if streets else None
    return patrol_coverage_vertices(
        vertices_from_arrays(xy[:, 0], xy[:, 1], t, track), np.array(["Lag 1"] * len(walks)),
        zones_of(poly), period=DAY, reach_m=reach_m, streets=frame).zones[0]


def buffered(xy: np.ndarray, reach_m: float) -> shapely.Geometry:
    pts = np.asarray(xy, float) + [E0, N0]
    geom = shapely.Point(pts[0]) if len(pts) == 1 else shapely.LineString(pts)
    return shapely.buffer(geom, reach_m, quad_segs=1024)


ZONES = [
    shapely.box(E0, N0, E0 + 100, N0 + 100),
    shapely.box(E0 + 1.25, N0 + 1.25, E0 + 51.25, N0 + 38.75),  # edges through cell centres
    shapely.box(E0, N0, E0 + 120, N0 + 120).difference(shapely.box(E0 + 40, N0 + 40,
                                                                   E0 + 80, N0 + 90)),
    shapely.union(shapely.box(E0, N0, E0 + 50, N0 + 50),
                  shapely.box(E0 + 90, N0 + 10, E0 + 140, N0 + 45)),
    shapely.Polygon([(E0, N0), (E0 + 150, N0 + 20), (E0 + 40, N0 + 40), (E0 + 140, N0 + 130),
                     (E0 - 10, N0 + 90)]),
    shapely.Point(E0, N0).buffer(63.7),
]


@pytest.mark.parametrize("poly", ZONES, ids=range(len(ZONES)))
def test_cells_inside_by_rows_agree_with_shapely_away_from_the_edge(poly) -> None:
    grid = zone_grid(poly, zone_edges(poly), cell_m=2.5, margin_m=55.0)
    cx = grid.x0 + (np.arange(grid.nx) + 0.5) * grid.cell
    cy = grid.y0 + (np.arange(grid.ny) + 0.5) * grid.cell
    gx, gy = np.meshgrid(cx, cy)
    expected = shapely.contains_xy(poly, gx, gy).ravel()
    clear = grid.clear2 > 0  # the only cells whose inside flag is used
    assert clear.sum() > 0.9 * grid.nx * grid.ny - 4 * (grid.nx + grid.ny) * 2
    assert np.array_equal(grid.inside[clear], expected[clear])
    # Every cell whose centre is inside has its flag, or lies at the edge (a centre on it).
    assert not (expected & ~grid.inside & clear).any()


def test_band_boundary_to_the_microsecond_is_exact() -> None:
    # A walk east along y = 50 over a 200 m square: its first ping a microsecond before 18:00
    # (day), the next 100 s later (evening). Day covers the first ping's disc only.
    poly = shapely.box(E0, N0, E0 + 200, N0 + 200)
    xy = np.array([[0.0, 50.0], [200.0, 50.0]])
    for first in (SIX_PM - 1e-6, SIX_PM - 2 ** -20, SIX_PM, SIX_PM + 1e-6):
        z = coverage([(xy, np.array([first, SIX_PM + 100.0]))], poly, reach_m=50.0)
        day = next(b for b in z.bands if b.band == "dag" and b.daytype == "alla")
        evening = next(b for b in z.bands if b.band == "kvall" and b.daytype == "alla")
        disc = 100 * shapely.intersection(buffered(xy[:1], 50.0), poly).area / poly.area
        assert day.coverage_pct == pytest.approx(disc if first < SIX_PM else 0.0, abs=0.05)
        whole = 100 * shapely.intersection(buffered(xy, 50.0), poly).area / poly.area
        assert evening.coverage_pct == pytest.approx(whole, abs=0.05)
        assert z.coverage_pct == pytest.approx(whole, abs=0.05)


def test_walks_at_band_boundaries_every_hour_are_exact() -> None:
    # A ping every 30 s from 05:50 to 06:10 and from 17:50 to 18:10 (both band boundaries),
    # along different rows: each band covers exactly its part.
    poly = shapely.box(E0, N0, E0 + 200, N0 + 200)
    six_am = pd.Timestamp("2024-10-02T06:00:00", tz=LOCAL_TZ).timestamp()
    xy = line_xy(0, 40, 200, 40, step_m=5.0)  # 41 pings, the 21st on the boundary
    t = np.arange(len(xy)) * 30.0 - 600.0
    z = coverage([(xy, six_am + t), (xy + [0, 100], SIX_PM + t)], poly, reach_m=25.0)

    def pct(*parts: np.ndarray) -> float:
        geom = shapely.union_all([buffered(p, 25.0) for p in parts])
        return 100 * shapely.intersection(geom, poly).area / poly.area

    got = {(b.band, b.daytype): b.coverage_pct for b in z.bands}
    assert got[("natt", "alla")] == pytest.approx(pct(xy[:21]), abs=0.05)
    assert got[("dag", "alla")] == pytest.approx(pct(xy[20:], xy[:21] + [0, 100]), abs=0.05)
    assert got[("kvall", "alla")] == pytest.approx(pct(xy[20:] + [0, 100]), abs=0.05)


STREETS = [
    shapely.LineString([(E0 + 25.0, N0 - 20), (E0 + 25.0, N0 + 220)]),  # on a cell line
    shapely.LineString([(E0 - 20, N0 + 75.0), (E0 + 220, N0 + 75.0)]),  # on a cell line
    shapely.LineString([(E0 + 10, N0 + 190), (E0 + 120, N0 + 60), (E0 + 130, N0 + 61),
                        (E0 + 199, N0 + 3)]),
    shapely.LineString([(E0 + 60, N0 + 10), (E0 + 60.000001, N0 + 10), (E0 + 160, N0 + 150)]),
]


@pytest.mark.parametrize("reach_m", [5.0, 100.0, 50.0, 17.3])
@pytest.mark.parametrize("walk", ["along a street on a cell line", "along a cell row",
                                  "track ends inside", "single ping", "random"])
def test_street_length_share_agrees_with_shapely(walk: str, reach_m: float) -> None:
    poly = shapely.box(E0, N0, E0 + 200, N0 + 200)
    rng = np.random.default_rng(int(reach_m * 10) + len(walk))
    xys = {"along a street on a cell line": [line_xy(-30, 75, 230, 75)],
           "along a cell row": [line_xy(25, -30, 25, 120, step_m=2.5)],
           "track ends inside": [np.r_[line_xy(30, 40, 90, 130), line_xy(90, 130, 170, 60)]],
           "single ping": [np.array([[60.0, 70.0]]), np.array([[25.0, 75.0]])],
           "random": [line_xy(*rng.uniform(-60, 260, 4)), line_xy(*rng.uniform(-60, 260, 4))],
           }[walk]
    z = coverage([(xy, NOON + 1000.0 * i + np.arange(len(xy), dtype=float))
                  for i, xy in enumerate(xys)], poly, reach_m=reach_m, streets=STREETS)
    inside = shapely.intersection(shapely.union_all(STREETS), poly)
    covered = shapely.union_all([buffered(xy, reach_m) for xy in xys])
    exact = 100 * shapely.intersection(covered, inside).length / inside.length
    assert z.coverage_basis == "gatulangd"
    assert z.coverage_pct == pytest.approx(exact, abs=0.05)


def test_capsule_intervals_against_shapely() -> None:
    # Random pieces and segments (some of no length, some parallel): the points of each piece
    # within the reach form the interval found, to a micrometre.
    rng = np.random.default_rng(7)
    n = 400
    a, d = rng.uniform(0, 20, (n, 2)), rng.uniform(-8, 8, (n, 2))
    c, e = rng.uniform(0, 20, (n, 2)), rng.uniform(-8, 8, (n, 2))
    e[:40] = 0.0  # a ping's disc
    d[40:80] = e[40:80] * 0.5  # parallel
    r = 4.0
    lo, hi = capsule_intervals((a[:, 0], a[:, 1], d[:, 0], d[:, 1]),
                                (c[:, 0], c[:, 1], e[:, 0], e[:, 1]), r)
    pieces = shapely.linestrings(np.stack([a, a + d], axis=1))
    capsules = shapely.buffer(shapely.linestrings(np.stack([c, c + e + 1e-9], axis=1)), r,
                              quad_segs=1024)
    expected = shapely.length(shapely.intersection(pieces, capsules))
    got = np.maximum(hi - lo, 0.0) * np.hypot(d[:, 0], d[:, 1])
    assert np.abs(got - expected).max() < 1e-3


def test_union_of_intervals_per_owner() -> None:
    owner = np.array([0, 0, 0, 2, 2, 3, 3])
    lo = np.array([0.0, 0.2, 0.7, 0.5, 0.1, 0.3, 0.6])
    hi = np.array([0.3, 0.5, 0.9, 0.4, 0.2, 0.9, 0.8])  # owner 2's first is empty
    assert union_length(owner, lo, hi, n=5) == pytest.approx([0.7, 0.0, 0.1, 0.6, 0.0])
