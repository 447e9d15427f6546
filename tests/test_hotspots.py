"""Unsafe places over time: emerging hot-spot categories on hand-built series, Gi* and
Mann–Kendall by hand,
"för få för att avgöra" with Poisson intervals, privacy (k-suppression, scrubbing), unplaced
events, and that sensitive records never reach the council through the API or the pages."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.grid import cell_polygons
from geo.hotspot_view import Viewer, hotspot_view
from geo.emerging import mann_kendall, mann_kendall_rows, space_time_gi_star
from geo.hotspots import (
    StudyArea, compare_periods, hotspot_analysis, kernel_density, poisson_interval, study_grid,
)
from geo.privacy import CategoryRule, scrub_text, sensitive_cells
from store import Store
from tests.conftest import auth

X0, Y0 = 620_000.0, 6_930_000.0  # a 250 m cell corner near Timrå (EPSG:3006)
SECRET_TEXT = "HEMLIGT-VNR-4711"


def _points(rows: list[tuple[float, float, str]], **columns) -> gpd.GeoDataFrame:
    frame = {"t": pd.to_datetime([r[2] for r in rows]).tz_localize("Europe/Stockholm")}
    frame.update(columns)
    return gpd.GeoDataFrame(frame, geometry=shapely.points([(r[0], r[1]) for r in rows]),
                            crs="EPSG:3006")


def _rising_and_new() -> gpd.GeoDataFrame:
    rows = []
    for month in range(12):  # 1, 2, …, 12 records: rising every month
        rows += [(X0 + 125, Y0 + 125, f"2024-{month + 1:02d}-15")] * (month + 1)
    rows += [(X0 + 2125, Y0 + 2125, "2024-12-10")] * 8  # appears only in the last month
    return _points(rows)


def _gi(counts: pd.DataFrame, *, extent: tuple[float, float, float, float] | None = None,
        area: StudyArea | None = None) -> np.ndarray:
    """Gi* z of ``counts`` (cells × periods) on its study grid, one period's own window."""
    mask, rows, cols = study_grid(counts.index, cell_m=250.0, extent=extent, area=area)
    return space_time_gi_star(counts.to_numpy(dtype=float), rows, cols, mask,
                              time_window_periods=0).z


def test_rising_cell_is_a_hot_spot_and_late_cell_is_new() -> None:
    result = hotspot_analysis(_rising_and_new(), time_column="t", start="2024-01-01",
                              end="2025-01-01", extent=(X0 - 2500, Y0 - 2500, X0 + 5000,
                                                        Y0 + 5000))
    assert not result.too_few and result.records == 78 + 8
    assert len(result.periods) == 12
    cells = result.cells.set_index(result.cells.index.str.split(":").str[1:].str.join(":"))
    rising = cells.loc[f"{int(X0 // 250)}:{int(Y0 // 250)}"]
    late = cells.loc[f"{int(X0 // 250) + 8}:{int(Y0 // 250) + 8}"]
    assert rising["counts"] == list(range(1, 13))
    # Hot from March (its window, this month and the last, then holds 5 records and passes the
    # FDR) to the end: one unbroken final run in 10 of 12 months (< 90 %), never hot before it.
    assert rising["hot_periods"] == 10 and rising["cold_periods"] == 0
    assert rising["trend"] == "consecutive_hot_spot"
    assert rising["trend_sv"] == "hot spot i följd"
    assert rising["summary_sv"] == ("Hot spot i 10 av 12 perioder, även den senaste. "
                                    "Ökande trend, p < 0,001 (enskilt test, ej korrigerat för "
                                    "många test).")
    assert late["counts"] == [0] * 11 + [8]
    assert late["trend"] == "new_hot_spot" and late["trend_sv"] == "ny hot spot"
    assert late["hot_periods"] == 1


def test_mann_kendall_by_hand() -> None:
    mk = mann_kendall(list(range(1, 13)))
    # S = 12·11/2 = 66; Var = 12·11·29/18 = 212.67; z = 65/√212.67 = 4.457
    assert mk.s == 66 and mk.var_s == pytest.approx(212.6667, abs=1e-3)
    assert mk.z == pytest.approx(4.4572, abs=1e-3) and mk.p < 1e-4 and mk.tau == 1.0
    ties = mann_kendall([0] * 11 + [3])
    # S = 11; Var = (12·11·29 − 11·10·27)/18 = 47.67; z = 10/√47.67 = 1.448
    assert ties.s == 11 and ties.var_s == pytest.approx(47.6667, abs=1e-3)
    assert ties.z == pytest.approx(1.4484, abs=1e-3)
    assert mann_kendall([5, 4, 3, 2]).s == -6


def test_gi_star_by_hand_on_a_three_by_three_area() -> None:
    # One period; a 3×3 study area with 9 records in the centre cell and none elsewhere.
    cx, cy = 2480, 27720
    counts = pd.DataFrame({"p": [9]}, index=[f"250:{cx}:{cy}"])
    z = _gi(counts, extent=((cx - 1) * 250, (cy - 1) * 250, (cx + 1) * 250 + 1,
                            (cy + 1) * 250 + 1))
    # n = 9, x̄ = 1, S = √(81/9 − 1) = √8; centre: Σw = 9, Σwx = 9
    # Gi* = (9 − 1·9) / (√8 · √((9·9 − 81)/8)) → 0/0 → 0 by definition (all cells neighbours)
    assert z[0, 0] == 0.0
    # 5×5 area: centre Σw = 9, Σwx = 9; x̄ = 9/25, S = √(81/25 − 81/625) = 1.7640
    z5 = _gi(counts, extent=((cx - 2) * 250, (cy - 2) * 250, (cx + 2) * 250 + 1,
                             (cy + 2) * 250 + 1))
    expected = (9 - 9 / 25 * 9) / (np.sqrt(81 / 25 - (9 / 25) ** 2)
                                   * np.sqrt((25 * 9 - 81) / 24))
    assert z5[0, 0] == pytest.approx(expected, rel=1e-9)


def test_too_few_says_so_with_poisson_intervals_and_pooled_halves() -> None:
    rows = [(X0 + 10, Y0 + 10, "2024-01-05"), (X0 + 20, Y0 + 20, "2024-02-05"),
            (X0 + 30, Y0 + 30, "2024-11-05")]
    result = hotspot_analysis(_points(rows), time_column="t", start="2024-01-01",
                              end="2025-01-01")
    assert result.too_few and "minst 60" in result.too_few_reason
    cell = result.cells.iloc[0]
    assert cell["trend"] == "too_few" and cell["trend_sv"] == "för få för att avgöra"
    assert cell["total"] == 3 and (cell["first_half"], cell["second_half"]) == (2, 1)
    # Garwood 95 % interval for 3: [χ²(0.025; 6)/2, χ²(0.975; 8)/2] = [0.619, 8.767]
    assert cell["ci_low"] == pytest.approx(0.6186, abs=1e-3)
    assert cell["ci_high"] == pytest.approx(8.7673, abs=1e-3)
    low, high = poisson_interval(0)
    assert low == 0 and high == pytest.approx(3.6889, abs=1e-3)


def test_compare_periods_and_density() -> None:
    rows = [(X0 + 10, Y0 + 10, "2024-01-05")] * 2 + [(X0 + 10, Y0 + 10, "2024-07-05")] * 12
    cmp = compare_periods(_points(rows), time_column="t", first=("2024-01-01", "2024-07-01"),
                          second=("2024-07-01", "2025-01-01"))
    row = cmp.iloc[0]
    assert (row["first"], row["second"], row["difference"]) == (2, 12, 10)
    assert row["change"] == "fler" and row["p"] < 0.05
    dens = kernel_density(_points(rows[:1]), bandwidth_m=100.0, cell_m=10.0)
    # The quartic kernel integrates to 1 record: Σ density·cell area ≈ 1 (per km² → ×1e-4 km²)
    assert dens["density"].sum() * 1e-4 == pytest.approx(1.0, rel=0.02)


def test_sensitive_cells_suppressed_at_k_minus_one_shown_at_k() -> None:
    rule = {"vald_i_nara_relation": CategoryRule(cell_m=1000.0, k=5),
            "sexualbrott": CategoryRule(never_mapped=True)}
    four = _points([(X0 + 100 + i, Y0 + 100, "2024-05-01") for i in range(4)],
                   category=["vald_i_nara_relation"] * 4)
    result = sensitive_cells(four, rules=rule)
    assert result.cells.empty and result.suppressed_records == 4
    five = _points([(X0 + 100 + i, Y0 + 100, "2024-05-01") for i in range(5)],
                   category=["vald_i_nara_relation"] * 5)
    result = sensitive_cells(five, rules=rule)
    assert list(result.cells["count"]) == [5] and result.suppressed_records == 0
    assert result.cells.index[0].startswith("1000:")
    never = _points([(X0, Y0, "2024-05-01")] * 7, category=["sexualbrott"] * 7)
    result = sensitive_cells(never, rules=rule)
    assert result.cells.empty and result.never_mapped_records == 7


@pytest.mark.parametrize("text, expected", [
    ("Ring 070-123 45 67", "Ring [telefonnummer borttaget]"),
    ("+46 70 123 45 67 på kvällen", "[telefonnummer borttaget] på kvällen"),
    ("pnr 19800101-1234 och 800101-1234", "pnr [personnummer borttaget] och "
                                          "[personnummer borttaget]"),
    ("mejla anna.s@example.se", "mejla [e-post borttagen]"),
    ("Lampan vid Storgatan 12 är trasig sedan 2024-10-08", "Lampan vid Storgatan 12 är trasig "
                                                           "sedan 2024-10-08"),
])
def test_scrub_text(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


# --- through the store, the API and the pages -----------------------------------------------------

def _place(lon: float, lat: float, category: str, description: str, when: str,
           status: str = "oppen") -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"category": category, "description": description,
                           "reported_at": when, "status": status, "provenance": "illustrative"}}


def _load(store: Store, features: list[dict]) -> None:
    from geo.geojson import frame_from_geojson

    store.insert("unsafe_places", frame_from_geojson(
        {"type": "FeatureCollection", "features": features}, origin="test", crs="EPSG:4326"),
        origin="test")


def _events(store: Store) -> None:
    rows = [
        {"event_id": 1, "type": "Misshandel", "time": "2024-03-02T20:00:00Z",
         "summary": "Vivsta", "precision": "place", "lon": 17.326, "lat": 62.487},
        {"event_id": 2, "type": "Stöld", "time": "2024-03-05T20:00:00Z", "summary": "Timrå",
         "precision": "municipality", "lon": 17.324865, "lat": 62.485456},
        {"event_id": 3, "type": "Våldtäkt", "time": "2024-03-06T20:00:00Z",
         "summary": SECRET_TEXT + " sexualbrott", "precision": "place", "lon": 17.34,
         "lat": 62.50},
    ]
    frame = gpd.GeoDataFrame(pd.DataFrame(rows).drop(columns=["lon", "lat"]),
                             geometry=shapely.points([(r["lon"], r["lat"]) for r in rows]),
                             crs="EPSG:4326")
    store.insert("events", frame, origin="test")


def test_unplaced_events_are_counted_not_drawn(store: Store) -> None:
    _events(store)
    view = hotspot_view(store.read("unsafe_places"), store.read("events"),
                        viewer=Viewer(sees_sensitive=True, sees_raw_text=True),
                        start="2024-01-01", end="2025-01-01")
    assert view["not_placed"] == 1
    assert view["records"] == 2  # Misshandel and the (police-visible) Våldtäkt
    drawn = {(p["lon"], p["lat"]) for p in view["points"]}
    assert (17.324865, 62.485456) not in drawn and len(drawn) == 2


def test_sensitive_records_never_reach_the_council(client, store: Store,
                                                   tokens: dict[str, str]) -> None:
    secret = [_place(17.3401 + i * 1e-4, 62.5001, "vald_i_nara_relation", f"{SECRET_TEXT} {i}",
                     "2024-06-01T12:00:00Z") for i in range(4)]
    _load(store, secret + [_place(17.326, 62.487, "belysning", "Mörk gångväg, ring 070-123 45 "
                                  "67", "2024-06-02T12:00:00Z", status="atgardad")])
    _events(store)
    for path in ("/api/hotspots?from=2024-01-01&to=2024-12-31",
                 "/api/hotspots?from=2024-01-01&to=2024-12-31&density=true&period=quarter",
                 "/api/layers/unsafe_places", "/api/layers/events",
                 "/kartor/otrygga-platser", "/kartor/oversikt",
                 "/api/rapport?from=2024-01-01&to=2024-12-31",
                 "/api/rapport?from=2024-01-01&to=2024-12-31&format=html"):
        response = client.get(path, headers=auth(tokens["rad"]))
        assert response.status_code == 200, (path, response.text[:300])
        assert SECRET_TEXT not in response.text, path
        assert "17.3401" not in response.text, path  # not even the coordinates
        assert "070-123" not in response.text, path  # scrubbed for everyone but admin
    body = client.get("/api/hotspots?from=2024-01-01&to=2024-12-31",
                      headers=auth(tokens["rad"])).json()
    assert body["sensitive"]["suppressed_records"] == 4  # 4 places in one cell, k = 5
    assert body["sensitive"]["never_mapped_records"] == 1  # the Våldtäkt event: never mapped
    assert body["sensitive"]["cells"] == []
    assert body["status"] == {"reported": 1, "resolved": 1, "open": 0}
    police = client.get("/api/hotspots?from=2024-01-01&to=2024-12-31",
                        headers=auth(tokens["patrullchef"])).text
    assert SECRET_TEXT in police and police.count("vald_i_nara_relation") >= 4
    admin = client.get("/api/hotspots?from=2024-01-01&to=2024-12-31",
                       headers=auth(tokens["admin"])).text
    assert "070-123 45 67" in admin


def test_council_sees_sensitive_cells_from_k_records(client, store: Store,
                                                     tokens: dict[str, str]) -> None:
    _load(store, [_place(17.3401 + i * 1e-4, 62.5001, "vald_i_nara_relation", f"{SECRET_TEXT}",
                         "2024-06-01T12:00:00Z") for i in range(5)])
    body = client.get("/api/hotspots?from=2024-01-01&to=2024-12-31",
                      headers=auth(tokens["rad"])).json()
    cells = body["sensitive"]["cells"]
    assert [(c["count"], c["cell_m"], c["k"]) for c in cells] == [(5, 1000.0, 5)]
    assert body["points"] == [] and body["features"] == []
    assert SECRET_TEXT not in json.dumps(body)
    cell = cell_polygons([cells[0]["cell"]]).to_crs("EPSG:4326").iloc[0]
    assert cell.contains(shapely.Point(17.3402, 62.5001))


def test_hotspots_api_rejects_bad_input_and_roles(client, store: Store,
                                                  tokens: dict[str, str]) -> None:
    assert client.get("/api/hotspots").status_code == 401
    bad = client.get("/api/hotspots?from=2024-05-01&to=2024-01-01", headers=auth(tokens["rad"]))
    assert bad.status_code == 422 and "error" in bad.json()
    bad = client.get("/api/hotspots?category=nope", headers=auth(tokens["rad"]))
    assert bad.status_code == 422
    assert client.get("/kartor/otrygga-platser", follow_redirects=False).status_code == 303


def test_row_wise_mann_kendall_equals_the_single_series_test() -> None:
    rng = np.random.default_rng(7)
    matrix = rng.poisson(1.5, size=(40, 12)).astype(float)
    s, var, z, p = mann_kendall_rows(matrix)
    for i, row in enumerate(matrix):
        one = mann_kendall(row)
        assert (s[i], var[i]) == (one.s, pytest.approx(one.var_s))
        assert z[i] == pytest.approx(one.z) and p[i] == pytest.approx(one.p)


def test_study_area_is_the_boundary_and_records_outside_are_counted() -> None:
    from geo.errors import ValidationFailed
    from geo.hotspots import MAX_CELL_PERIODS, check_capacity, inside_area, study_area

    cx, cy = 2480, 27720
    counts = pd.DataFrame({"p": [9]}, index=[f"250:{cx}:{cy}"])
    # A boundary covering the 5×5 cells around the centre (centres inside) is the 5×5 box.
    boundary = shapely.box((cx - 2) * 250 + 1, (cy - 2) * 250 + 1, (cx + 3) * 250 - 1,
                           (cy + 3) * 250 - 1)
    area = study_area(boundary, cell_m=250.0)
    assert area.cells == 25
    z = _gi(counts, area=area)
    expected = (9 - 9 / 25 * 9) / (np.sqrt(81 / 25 - (9 / 25) ** 2)
                                   * np.sqrt((25 * 9 - 81) / 24))
    assert z[0, 0] == pytest.approx(expected, rel=1e-9)
    # A hole in the boundary (here the corner cell) takes its cells out of the study area.
    holed = boundary.difference(shapely.box((cx + 2) * 250, (cy + 2) * 250, (cx + 3) * 250,
                                            (cy + 3) * 250))
    assert study_area(holed, cell_m=250.0).cells == 24
    far = _points([(X0 + 10, Y0 + 10, "2024-01-05"), (760_000, 7_540_000, "2024-01-06"),
                   (373_000, 6_135_000, "2024-01-07")])  # Timrå, Kiruna, Smygehuk
    inside, outside = inside_area(far, shapely.box(X0 - 5000, Y0 - 5000, X0 + 5000, Y0 + 5000))
    assert (len(inside), outside) == (1, 2)
    with pytest.raises(ValidationFailed, match="cell_m, from/to, period"):
        check_capacity(MAX_CELL_PERIODS // 10 + 1, 10, cell_m=50.0)
