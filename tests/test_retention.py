"""Retention of raw patrol GPS pings (``trygg patrols reduce``): old tracks keep only the pings
the zone coverage figures need, and every figure of every zone stays exactly what it was (the
demo's patrols, several reaches and periods, a baseline); a hand-made track loses its walk far
from the zones but keeps a long segment crossing one; audited; the CLI says what it did."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from cli import cli
from geo.errors import ValidationFailed
from geo.retention import reduce_tracks
from services.coverage import patrol_figures
from services.retention import keep_within_m, reduce_patrols
from store import Store
from tests.conftest import SECRET

FUTURE = pd.Timestamp("2100-01-01", tz="UTC")


def _figures(store: Store, reach_m: float) -> dict:
    """Every figure of every zone: the later half of the patrols' days against the earlier."""
    times = pd.to_datetime(store.read("patrols")["start"], utc=True).dropna()
    first, last = times.min().date(), times.max().date()
    middle = first + (last - first) / 2
    return dataclasses.asdict(patrol_figures(store, middle, last, reach_m=reach_m,
                                             baseline_from=first, baseline_to=middle))


def test_reduced_demo_patrols_give_every_zone_figure_exactly(demo_store: Store) -> None:
    before = {reach: _figures(demo_store, reach) for reach in (50.0,)}
    pings = demo_store.read("patrols")["times"].map(len).sum()
    done = reduce_patrols(demo_store, older_than_days=30, now=FUTURE)
    assert done.old_tracks == len(demo_store.read("patrols")) and done.reduced > 0
    assert done.pings_before == pings and done.pings_after < done.pings_before
    assert demo_store.read("patrols")["times"].map(len).sum() == done.pings_after
    for reach, figures in before.items():
        assert _figures(demo_store, reach) == figures, reach  # every figure, every zone
    rows = demo_store.audit(layer="patrols", limit=done.reduced + 1)
    assert [r["action"] for r in rows] == ["update"] * done.reduced + ["insert"]
    assert rows[0]["details"] == {"fields": ["geometry", "times"]}
    summary = demo_store.audit(limit=1)[0]
    assert summary["action"] == "reduce_patrols"
    assert summary["details"]["pings_after"] == done.pings_after
    again = reduce_patrols(demo_store, older_than_days=30, now=FUTURE)
    assert again.reduced == 0 and again.pings_before == done.pings_after  # nothing more to drop


def test_a_track_keeps_what_meets_a_zone_and_nothing_else() -> None:
    zone = gpd.GeoDataFrame({"name": ["Z"]}, geometry=[shapely.box(0, 0, 100, 100)],
                            crs="EPSG:3006")
    # In the zone, out 2 km, back across the zone in one long segment, out again.
    xy = [(50, 50), (90, 50), (2000, 50), (2000, 2000), (2000, 60), (-2000, 60), (-3000, 60)]
    t = pd.date_range("2024-03-01 18:00", periods=len(xy), freq="1min", tz="UTC")
    tracks = gpd.GeoDataFrame(
        {"unit": ["A", "B", "C"],
         "times": [[s.isoformat() for s in t], [s.isoformat() for s in t[:2]],
                   [t[1].isoformat(), t[0].isoformat()]]},
        geometry=[shapely.LineString(xy), shapely.LineString([(5000, 0), (6000, 0)]),
                  shapely.LineString([(0, 0), (10, 0)])], crs="EPSG:3006")
    out = reduce_tracks(tracks, zone, keep_within_m=150)
    geometry, times = out.changes[0]
    assert [list(p.coords) for p in geometry.geoms] == [
        [(50, 50), (90, 50), (2000, 50)], [(2000, 60), (-2000, 60)]]  # the crossing kept
    assert times == [t[i].isoformat() for i in (0, 1, 2, 4, 5)]
    point, one = out.changes[1]  # never near a zone: its first ping only
    assert point.equals(shapely.Point(5000, 0)) and one == [t[0].isoformat()]
    assert 2 not in out.changes and out.left_untimed == 1  # times out of order: left whole
    assert (out.pings_before, out.pings_after) == (9, 6)
    with pytest.raises(ValidationFailed):
        reduce_tracks(tracks, zone, keep_within_m=-1)
    assert keep_within_m(50.0) == 150.0  # the zone grid's margin at the largest cell


def test_cli_patrols_reduce(tmp_path: Path, demo_template: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    db = tmp_path / "ret.sqlite"
    shutil.copy(demo_template, db)
    monkeypatch.setenv("TRYGG_DB", str(db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    monkeypatch.delenv("TRYGG_PING_RETENTION_DAYS", raising=False)
    runner = CliRunner()
    missing = runner.invoke(cli, ["patrols", "reduce"])
    assert missing.exit_code == 2 and "TRYGG_PING_RETENTION_DAYS" in missing.output
    store = Store.open(db)
    dump = store.dump()["patrols"]
    dry = runner.invoke(cli, ["patrols", "reduce", "--older-than-days", "0", "--dry-run"],
                        catch_exceptions=False)
    assert dry.exit_code == 0 and "skulle gallras" in dry.output, dry.output
    assert store.dump()["patrols"] == dump
    monkeypatch.setenv("TRYGG_PING_RETENTION_DAYS", "0.5")
    done = runner.invoke(cli, ["patrols", "reduce"], catch_exceptions=False)
    assert done.exit_code == 0 and "gallrade" in done.output and "0.5 dagar" in done.output
    assert store.dump()["patrols"] != dump
    assert store.audit(limit=1)[0]["action"] == "reduce_patrols"
    store.close()
