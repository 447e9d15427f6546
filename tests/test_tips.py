"""Tips from residents and partners: what may be filed, moderation states, personal data
removed and named, and duplicate candidates against a brute-force reference (edges included:
exactly 50 m, exactly 90 days, other categories, closed places, later reports)."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.errors import CrsMismatch, ValidationFailed
from geo.tips import (
    NAME_SCRUBBED,
    NEVER_OFFERED,
    TIP_CATEGORIES,
    check_tip,
    decide,
    duplicate_candidates,
    scrub_tip_text,
    unsafe_category,
)


def frame(rows: list[tuple[float, float, str, str, str]]) -> gpd.GeoDataFrame:
    """(x, y, category, reported_at, status) rows in EPSG:3006."""
    return gpd.GeoDataFrame(
        {"category": [r[2] for r in rows], "reported_at": pd.to_datetime([r[3] for r in rows],
                                                                          utc=True),
         "status": [r[4] for r in rows]},
        geometry=[Point(r[0], r[1]) for r in rows], crs="EPSG:3006")


def reference(tips: gpd.GeoDataFrame, places: gpd.GeoDataFrame, within_m: float,
              days: int) -> list[tuple[int, int, float]]:
    out = []
    for (ti, t), (pi, p) in itertools.product(tips.iterrows(), places.iterrows()):
        d = t.geometry.distance(p.geometry)
        age = t.reported_at - p.reported_at
        same = unsafe_category(t.category) == unsafe_category(p.category)
        recent = pd.Timedelta(0) <= age <= pd.Timedelta(days=days)
        if d <= within_m and same and p.status in ("oppen", "ny") and recent:
            out.append((ti, pi, d))
    return sorted(out, key=lambda r: (r[0], r[2], r[1]))


def test_duplicates_at_the_edges_match_the_reference() -> None:
    x0, y0 = 617_000.0, 6_920_000.0
    tips = frame([(x0, y0, "belysning", "2024-06-01T12:00Z", "ny"),
                  (x0 + 500, y0, "buskorning", "2024-06-01T12:00Z", "ny")])
    places = frame([
        (x0 + 50.0, y0, "belysning", "2024-05-01T12:00Z", "oppen"),  # exactly 50 m: counts
        (x0 + 50.001, y0, "belysning", "2024-05-01T12:00Z", "oppen"),  # just beyond
        (x0, y0 + 30, "belysning", "2024-03-03T12:00Z", "oppen"),  # exactly 90 days before
        (x0, y0 - 30, "belysning", "2024-03-03T11:59Z", "oppen"),  # a minute more
        (x0 + 10, y0, "narkotika", "2024-05-20T12:00Z", "oppen"),  # other category
        (x0 - 10, y0, "belysning", "2024-05-20T12:00Z", "atgardad"),  # closed
        (x0 + 5, y0 + 5, "belysning", "2024-06-02T12:00Z", "oppen"),  # after the tip
        (x0 + 520, y0, "trafik", "2024-05-30T12:00Z", "oppen"),  # buskörning files as trafik
    ])
    got = duplicate_candidates(tips, places)
    want = reference(tips, places, 50.0, 90)
    assert [(r.tip, r.place) for r in got.itertuples()] == [(w[0], w[1]) for w in want]
    assert np.allclose(got["distance_m"], [w[2] for w in want])
    assert [(r.tip, r.place) for r in got.itertuples()] == [(0, 2), (0, 0), (1, 7)]


def test_duplicates_on_random_points_match_the_reference() -> None:
    rng = np.random.default_rng(7)
    n = 80
    cats = rng.choice(["belysning", "trafik", "buskorning"], n)
    days = rng.integers(0, 200, n)
    rows = [(617_000 + 200 * rng.random(), 6_920_000 + 200 * rng.random(), c,
             str(pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=int(d))),
             rng.choice(["ny", "oppen", "avvisad"])) for c, d in zip(cats, days, strict=True)]
    everything = frame(rows)
    got = duplicate_candidates(everything, everything)
    want = [w for w in reference(everything, everything, 50.0, 90) if w[0] != w[1]]
    assert [(r.tip, r.place) for r in got.itertuples()] == [(w[0], w[1]) for w in want]
    assert len(want) > 20


def test_duplicates_need_sweref_99_tm() -> None:
    tips = frame([(617_000, 6_920_000, "annat", "2024-01-01T00:00Z", "ny")]).to_crs(4326)
    with pytest.raises(CrsMismatch, match="tips"):
        duplicate_candidates(tips, tips.to_crs(3006))


def test_no_duplicates_in_empty_frames() -> None:
    tips = frame([(617_000, 6_920_000, "annat", "2024-01-01T00:00Z", "ny")])
    assert duplicate_candidates(tips, tips.iloc[:0]).empty
    assert list(duplicate_candidates(tips.iloc[:0], tips).columns) == ["tip", "place",
                                                                       "distance_m"]


def test_personal_data_is_removed_and_named() -> None:
    got = scrub_tip_text("Jag heter Anna Svensson, ring 070-123 45 67 eller anna@example.se. "
                         "Lampan vid Vivsta torg är trasig sedan 2024-10-01.")
    assert "Anna" not in got.text and "070" not in got.text and "@" not in got.text
    assert NAME_SCRUBBED in got.text and "2024-10-01" in got.text and "Vivsta torg" in got.text
    assert set(got.found) == {"name", "phone", "email"}
    clean = scrub_tip_text("Mörkt vid busshållplatsen på E4 kl. 22.00")
    assert clean.text == "Mörkt vid busshållplatsen på E4 kl. 22.00" and clean.found == ()


def test_what_may_be_filed() -> None:
    check_tip("belysning", "Trasig lampa")
    assert not set(NEVER_OFFERED) & set(TIP_CATEGORIES)
    for category in NEVER_OFFERED:
        with pytest.raises(ValidationFailed, match="114 14"):
            check_tip(category, "x")
    with pytest.raises(ValidationFailed) as info:
        check_tip("okänd", " ")
    assert len(info.value.details) == 2 and "'category'" in info.value.details[0]
    with pytest.raises(ValidationFailed, match="högst 2000"):
        check_tip("annat", "x" * 2001)


def test_moderation_states() -> None:
    assert decide("ny", "approve") == "godkand"
    assert decide("ny", "reject") == "avvisad"
    assert decide("ny", "merge") == "sammanslagen"
    with pytest.raises(ValidationFailed, match="redan beslutat"):
        decide("godkand", "reject")
    with pytest.raises(ValidationFailed, match="'decision'"):
        decide("ny", "delete")
