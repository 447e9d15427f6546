"""Who may read and write which layer, and what the council and the public never see.

Roles: planerare (traffic planners), patrullchef (patrol leaders), rad (the council), admin.
``None`` stands for an anonymous visitor, who may read only in demo mode.
"""

from __future__ import annotations

import geopandas as gpd

from geo.privacy import scrub_frame, without_sensitive

__all__ = ["may_read", "may_write", "sees_planned_checks", "sees_raw_text", "sees_sensitive",
           "viewer_frame", "without_sensitive"]

POLICE_ROLES = frozenset({"planerare", "patrullchef", "admin"})
ALL_ROLES = frozenset({"planerare", "patrullchef", "rad", "admin"})

# Layers each role may read. Patrol tracks show where police walk: police roles only.
READ: dict[str, frozenset[str | None]] = {
    "risk_roads": ALL_ROLES | {None},
    "patrol_zones": ALL_ROLES | {None},
    "unsafe_places": ALL_ROLES | {None},
    "patrols": frozenset({"patrullchef", "admin"}),
    "traffic_checks": ALL_ROLES | {None},
    "events": ALL_ROLES | {None},
    "gazetteer": ALL_ROLES | {None},
    "boundaries": ALL_ROLES | {None},
    "activities": ALL_ROLES,
    "promise_actions": ALL_ROLES | {None},
    "follow_up_reports": ALL_ROLES,
    "candidate_sites": ALL_ROLES | {None},
}
WRITE: dict[str, frozenset[str]] = {
    "risk_roads": frozenset({"planerare", "admin"}),
    "patrol_zones": frozenset({"patrullchef", "admin"}),
    "unsafe_places": ALL_ROLES,
    "patrols": frozenset({"patrullchef", "admin"}),
    "traffic_checks": frozenset({"planerare", "patrullchef", "admin"}),
    "events": frozenset({"admin"}),
    "gazetteer": frozenset({"admin"}),
    "boundaries": frozenset({"admin"}),
    "activities": frozenset({"planerare", "patrullchef", "admin"}),
    "promise_actions": ALL_ROLES,
    "follow_up_reports": frozenset({"admin"}),
    "candidate_sites": frozenset({"planerare", "admin"}),
}


def may_read(role: str | None, layer: str) -> bool:
    return role in READ.get(layer, frozenset())


def may_write(role: str | None, layer: str) -> bool:
    return role in WRITE.get(layer, frozenset())


def sees_sensitive(role: str | None) -> bool:
    """Only police roles see sensitive records as points (and planned traffic checks)."""
    return role in POLICE_ROLES


def sees_planned_checks(role: str | None) -> bool:
    """Planned traffic checks (status planerad: when, where, what) are planned police
    operations: planerare, patrullchef and admin only. ``without_sensitive`` drops them for
    everyone else, so this is the same set as ``sees_sensitive``."""
    return role in POLICE_ROLES


def sees_raw_text(role: str | None) -> bool:
    """Free text unscrubbed (personnummer, phone numbers, e-mail left in): admin only."""
    return role == "admin"


def viewer_frame(layer: str, gdf: gpd.GeoDataFrame, role: str | None) -> gpd.GeoDataFrame:
    """``gdf`` as ``role`` may see it: the records it may not read dropped, free text scrubbed.
    Every answer that carries records (reads and writes alike) goes through this."""
    gdf = gdf if sees_sensitive(role) else without_sensitive(layer, gdf)
    return gdf if sees_raw_text(role) else scrub_frame(layer, gdf)
