"""Who may read and write which layer, and what the council and the public never see.

Roles: planerare (traffic planners), patrullchef (patrol leaders), rad (the council), admin.
``None`` stands for an anonymous visitor, who may read only in demo mode.
"""

from __future__ import annotations

from geo.privacy import without_sensitive

__all__ = ["may_read", "may_write", "sees_sensitive", "without_sensitive"]

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
    """Only police roles see sensitive records as points."""
    return role in POLICE_ROLES
