"""The response cache is bounded in entries and bytes, and bbox requests share snapped windows;
a world bbox returns every feature instead of none."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.cache import ResponseCache
from geo.crs import NOWHERE_3006, bbox_window
from geo.errors import ImportRejected
from store import Store
from store.accounts import add_user
from tests.conftest import auth
from trygg.settings import Settings


def test_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = ResponseCache(max_entries=3, max_bytes=40_000)
    for i in range(10):
        cache.get_or_make(("k", i), lambda i=i: str(i) * 5_000)
    assert cache.entries == 3
    big = ResponseCache(max_entries=100, max_bytes=40_000)
    for i in range(10):
        big.get_or_make(i, lambda i=i: str(i) * 9_000)
    assert big.bytes <= 40_000 and big.entries == 4
    assert big.get_or_make(9, lambda: "new") == "9" * 9_000  # the newest stayed
    assert big.get_or_make(0, lambda: "new") == "new"  # the oldest went
    huge = ResponseCache(max_bytes=40_000)
    assert huge.get_or_make("h", lambda: "x" * 20_000) == "x" * 20_000
    assert huge.entries == 0  # more than a quarter of the budget is not kept


def test_bbox_window_clips_snaps_and_refuses_nonsense() -> None:
    world = bbox_window("-180,-90,180,90")
    assert world is not None and all(abs(v) < 1e7 for v in world)
    assert world[0] <= 200_000 and world[3] >= 7_600_000  # all of Sweden
    near = {bbox_window(f"17.300{i},62.40,17.40,62.50") for i in range(10)}  # ~5 m apart
    assert len(near) <= 2  # nearby requests share a 1 km grid window
    assert bbox_window("-10,0,-5,1") == NOWHERE_3006
    assert bbox_window(None) is None
    for bad in ("1,2,3", "nan,1,2,3", "5,5,1,1", "a,b,c,d"):
        with pytest.raises(ImportRejected, match="bbox"):
            bbox_window(bad)


def test_world_bbox_returns_every_feature(demo_store: Store, settings: Settings) -> None:
    token = add_user(demo_store, "a", "admin", secret=settings.secret)
    with TestClient(create_app(settings, store=demo_store)) as c:
        every = c.get("/api/layers/traffic_checks", headers=auth(token)).json()["features"]
        world = c.get("/api/layers/traffic_checks?bbox=-180,-90,180,90",
                      headers=auth(token)).json()["features"]
        nowhere = c.get("/api/layers/traffic_checks?bbox=-10,0,-5,1",
                        headers=auth(token)).json()["features"]
    assert len(every) > 10 and len(world) == len(every) and nowhere == []


def test_many_distinct_bboxes_do_not_grow_the_cache(demo_store: Store,
                                                    settings: Settings) -> None:
    token = add_user(demo_store, "a", "admin", secret=settings.secret)
    app = create_app(settings, store=demo_store)
    with TestClient(app) as c:
        for i in range(256):
            bbox = f"{17.0 + i * 1e-4:.4f},62.3,{17.6 + i * 1e-4:.4f},62.6"
            assert c.get(f"/api/layers/patrols?bbox={bbox}", headers=auth(token))\
                .status_code == 200
    cache = app.state.cache
    assert cache.entries <= 10  # 256 requests, a handful of 1 km windows
    assert cache.bytes <= cache.max_bytes
