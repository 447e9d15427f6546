"""Risk roads from the police events along them: `trygg roads reweight` for any road network
(imported from NVDB, OSM or a file), with the one rule the demo builder uses (geo.road_risk)."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ImportRejected
from geo.road_risk import MAX_PRECISION_M, NEAR_M, reweight_roads

__all__ = ["MAX_PRECISION_M", "NEAR_M", "RoadWeight", "reweight"]
from store.store import Actor, Store


@dataclass(frozen=True)
class RoadWeight:
    """One road's new weight, for the planner to read."""

    id: int
    name: str
    road_ref: str | None
    events: int
    events_per_km: float | None
    risk_weight: float
    risk_categories: tuple[str, ...]
    changed: bool


def reweight(store: Store, *, near_m: float = NEAR_M, max_precision_m: float = MAX_PRECISION_M,
             count_checks: bool = False, dry_run: bool = False,
             actor: Actor | None = None) -> list[RoadWeight]:
    """Set every risk road's weight (1 + its traffic events) and categories from the events in
    the store, in one transaction (``dry_run`` only computes). The events add categories and
    never take one away: what a planner set (buskörning and A-traktor, which the events cannot
    show, or speed known locally) stays."""
    roads, events = store.read("risk_roads"), store.read("events")
    if roads.empty:
        raise ImportRejected("lagret Riskvägar (risk_roads) är tomt: importera ett vägnät först "
                             "(trygg import risk_roads FIL, eller med --format nvdb)")
    out = reweight_roads(_with_passes(roads, store.read("gazetteer")), events, near_m=near_m,
                         max_precision_m=max_precision_m, count_checks=count_checks)
    weights: list[RoadWeight] = []
    changes: dict[int, dict[str, object]] = {}
    for fid, old_weight, old_cats, row in zip(roads.index, roads["risk_weight"],
                                              roads["risk_categories"],
                                              out.to_dict("records"), strict=True):
        cats = tuple(sorted(set(row["risk_categories"] or ()) | set(old_cats or ())))
        weight = float(row["risk_weight"])
        changed = (not np.isclose(weight, float(old_weight))
                   or cats != tuple(sorted(old_cats or ())))
        if changed:
            changes[int(fid)] = {"risk_weight": weight, "risk_categories": list(cats)}
        per_km = row["risk_events_per_km"]
        weights.append(RoadWeight(
            id=int(fid), name=str(row["name"]),
            road_ref=None if pd.isna(row["road_ref"]) else str(row["road_ref"]),
            events=int(row["risk_events"]),
            events_per_km=None if pd.isna(per_km) else float(per_km),
            risk_weight=weight, risk_categories=cats, changed=changed))
    if changes and not dry_run:
        store.update_many("risk_roads", changes, actor=actor)
    return sorted(weights, key=lambda w: (-w.risk_weight, w.name))


def _with_passes(roads: gpd.GeoDataFrame, gazetteer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``roads`` with ``passes``: the gazetteer places that list the road's number among their
    ``roads`` (an event at such a place counts for the road)."""
    out = roads.copy()
    if gazetteer.empty or "roads" not in gazetteer:
        return out
    by_ref: dict[str, list[str]] = {}
    for name, refs in zip(gazetteer["name"], gazetteer["roads"], strict=True):
        for ref in refs or ():
            by_ref.setdefault(str(ref), []).append(str(name))
    out["passes"] = [by_ref.get(str(ref), []) for ref in out["road_ref"]]
    return out
