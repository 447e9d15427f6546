"""The access policy, in one place: who may do what, and what each viewer sees of a frame.

Roles: planerare (traffic planners), patrullchef (patrol leaders), rad (the council), admin,
and rapportor (a partner organisation's reporter: it files tips and sees only its own, no layer).
A viewer with role ``None`` is an anonymous visitor, who may do only what an action opens to
anonymous visitors in demo mode. Shells (the API's ``api.access``, the CLI) ask this module; a
use-case never decides access on its own, and every frame it hands out goes through
``fit_frame`` (records the viewer may not read dropped, free text scrubbed).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from geo.privacy import scrub_frame, without_sensitive

__all__ = ["ACTIONS", "ALL_ROLES", "PARTNER_ROLES", "POLICE_ROLES", "ROLES", "Rule", "Viewer",
           "fit_frame", "in_kommuner", "may", "may_read", "may_write", "refusal", "sees_raw_text",
           "sees_sensitive", "viewer_frame", "without_sensitive"]

ROLES = ("planerare", "patrullchef", "rad", "admin", "rapportor")
PARTNER_ROLES = frozenset({"rapportor"})
ALL_ROLES = frozenset(ROLES) - PARTNER_ROLES  # the roles that read the layers
POLICE_ROLES = frozenset({"planerare", "patrullchef", "admin"})
PATROL_ROLES = frozenset({"patrullchef", "admin"})
PLANNER_ROLES = frozenset({"planerare", "admin"})

# Layers each role may read. Patrol tracks show where police walk: patrol leaders only.
READ: dict[str, frozenset[str | None]] = {
    "risk_roads": ALL_ROLES | {None},
    "patrol_zones": ALL_ROLES | {None},
    "unsafe_places": ALL_ROLES | {None},
    "patrols": PATROL_ROLES,
    "traffic_checks": ALL_ROLES | {None},
    "events": ALL_ROLES | {None},
    "gazetteer": ALL_ROLES | {None},
    "boundaries": ALL_ROLES | {None},
    "activities": ALL_ROLES,
    "promise_actions": ALL_ROLES | {None},
    "follow_up_reports": ALL_ROLES,
    "candidate_sites": ALL_ROLES | {None},
    "speed_cameras": ALL_ROLES | {None},  # Trafikverket publishes them
    "population_areas": ALL_ROLES | {None},  # SCB publishes them (CC BY 4.0)
}
WRITE: dict[str, frozenset[str]] = {
    "risk_roads": PLANNER_ROLES,
    "patrol_zones": PATROL_ROLES,
    "unsafe_places": ALL_ROLES,
    "patrols": PATROL_ROLES,
    "traffic_checks": POLICE_ROLES,
    "events": frozenset({"admin"}),
    "gazetteer": frozenset({"admin"}),
    "boundaries": frozenset({"admin"}),
    "activities": POLICE_ROLES,
    "promise_actions": ALL_ROLES,
    "follow_up_reports": frozenset({"admin"}),
    "candidate_sites": PLANNER_ROLES,
    "speed_cameras": PLANNER_ROLES,
    "population_areas": frozenset({"admin"}),
}


@dataclass(frozen=True)
class Rule:
    """Who may do an action: ``roles``, and anonymous visitors when ``demo_anonymous`` and the
    app runs in demo mode. ``what_sv`` names the action in the refusal."""

    roles: frozenset[str]
    demo_anonymous: bool
    what_sv: str


# The table of actions × roles. Per-layer reads and writes follow READ and WRITE above.
ACTIONS: dict[str, Rule] = {
    "browse": Rule(ALL_ROLES, True, "läsa lagren"),
    "coverage.patrols": Rule(PATROL_ROLES, False, "se patrullernas täckning"),
    "coverage.checks": Rule(ALL_ROLES, True, "se kontrollernas täckning"),
    "siting.plan": Rule(PLANNER_ROLES, True, "planera trafikkontroller"),
    "siting.planned": Rule(POLICE_ROLES, False, "läsa planerade kontroller"),
    "siting.save": Rule(PLANNER_ROLES, False, "spara planerade kontroller"),
    "hotspots.view": Rule(ALL_ROLES, True, "se otrygga platser över tid"),
    "followup.read": Rule(ALL_ROLES, True, "läsa uppföljningen"),
    "followup.keep": Rule(ALL_ROLES, False, "spara uppföljningsrapporter"),
    "register.write": Rule(WRITE["promise_actions"], False, "ändra löftesregistret"),
    "register.delete": Rule(frozenset({"admin"}), False, "ta bort åtgärder i löftesregistret"),
    "targets.write": Rule(frozenset({"admin"}), False, "ändra löftets mål"),
    "followup.publish": Rule(frozenset({"admin"}), False, "publicera uppföljningen"),
    "tips.partner": Rule(PARTNER_ROLES, False, "lämna rapporter som samverkanspart"),
    "tips.moderate": Rule(POLICE_ROLES, False, "moderera tips från allmänheten"),
    "map.edit": Rule(POLICE_ROLES, False, "rita och ändra lagren på kartan"),
}


def sees_sensitive(role: str | None) -> bool:
    """Only police roles see sensitive records as points, and planned traffic checks (planned
    police operations: ``without_sensitive`` drops them for everyone else)."""
    return role in POLICE_ROLES


def sees_raw_text(role: str | None) -> bool:
    """Free text unscrubbed (personnummer, phone numbers, e-mail left in): admin only."""
    return role == "admin"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: the role (None: anonymous), the account's name and whether the app runs
    in demo mode (which opens some reads to anonymous visitors)."""

    role: str | None = None
    demo: bool = False
    name: str | None = None
    kommuner: frozenset[str] | None = None  # limited to these municipalities' records; None: all

    @property
    def signed_in(self) -> bool:
        return self.role is not None

    @property
    def sees_sensitive(self) -> bool:
        return sees_sensitive(self.role)

    @property
    def sees_raw_text(self) -> bool:
        return sees_raw_text(self.role)

    @property
    def sees_planned_checks(self) -> bool:
        return sees_sensitive(self.role)

    @property
    def privacy_class(self) -> tuple[bool, bool, tuple[str, ...] | None]:
        """What a viewer sees of any frame depends on these only (cache keys use it)."""
        limit = tuple(sorted(self.kommuner)) if self.kommuner is not None else None
        return self.sees_sensitive, self.sees_raw_text, limit


def _role(who: Viewer | str | None) -> str | None:
    return who.role if isinstance(who, Viewer) else who


def may_read(who: Viewer | str | None, layer: str) -> bool:
    return _role(who) in READ.get(layer, frozenset())


def may_write(who: Viewer | str | None, layer: str) -> bool:
    return _role(who) in WRITE.get(layer, frozenset())


def may(viewer: Viewer, action: str) -> bool:
    """Whether ``viewer`` may do ``action`` (a key of ``ACTIONS``)."""
    rule = ACTIONS[action]
    if viewer.role is None:
        return rule.demo_anonymous and viewer.demo
    return viewer.role in rule.roles


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: 401 (sign in first) or 403 (the role may not)."""

    status: int
    message: str


def refusal(viewer: Viewer, action: str) -> Refusal | None:
    """None if ``viewer`` may do ``action``; else the status and the reason."""
    if may(viewer, action):
        return None
    rule = ACTIONS[action]
    if viewer.role is None:
        return Refusal(401, f"logga in för att {rule.what_sv}")
    allowed = ", ".join(r for r in ROLES if r in rule.roles)
    return Refusal(403, f"rollen {viewer.role!r} får inte {rule.what_sv}; det får {allowed}")


def layer_refusal(viewer: Viewer, layer: str, *, write: bool = False) -> Refusal | None:
    """None if ``viewer`` may read (or write) ``layer``; else the status and the reason.
    Anonymous visitors read only in demo mode and never write."""
    if viewer.role is None and (write or not viewer.demo):
        return Refusal(401, "logga in först")
    allowed = may_write(viewer, layer) if write else may_read(viewer, layer)
    if allowed:
        return None
    verb = "ändra" if write else "läsa"
    if viewer.role is None:
        return Refusal(401, f"logga in för att {verb} lagret {layer!r}")
    return Refusal(403, f"rollen {viewer.role!r} får inte {verb} lagret {layer!r}")


def in_kommuner(gdf: gpd.GeoDataFrame, kommuner: frozenset[str] | None) -> gpd.GeoDataFrame:
    """The records of ``gdf`` in ``kommuner`` (by their ``kommunkod``; None: all). A frame
    without the column holds nothing a limited viewer may see."""
    if kommuner is None:
        return gdf
    if "kommunkod" not in gdf.columns:
        return gdf.iloc[0:0]
    return gdf[gdf["kommunkod"].isin(sorted(kommuner)).to_numpy()]


def fit_frame(layer: str, gdf: gpd.GeoDataFrame, viewer: Viewer | str | None
              ) -> gpd.GeoDataFrame:
    """``gdf`` as ``viewer`` may see it: the records it may not read dropped (sensitive
    records, planned checks, and for an account limited to municipalities the records of the
    others), free text scrubbed but for admin. Every answer that carries
    records (reads and writes alike, pages, files and figures) goes through this."""
    role = _role(viewer)
    gdf = in_kommuner(gdf, viewer.kommuner if isinstance(viewer, Viewer) else None)
    gdf = gdf if sees_sensitive(role) else without_sensitive(layer, gdf)
    return gdf if sees_raw_text(role) else scrub_frame(layer, gdf)


viewer_frame = fit_frame  # the name the routes and tests have used
