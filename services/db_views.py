"""Read-only views per role for QGIS users who connect to a PostGIS store itself: the access
policy (``services.access``: the layers each role reads, who sees sensitive records and planned
checks, who sees free text unscrubbed) made into ``store.views``'s plans."""

from __future__ import annotations

from geo.layers import LAYERS
from services.access import ROLES, may_read, sees_raw_text, sees_sensitive
from store import Store
from store.migrations.runner import lock_for_writing
from store.views import RoleViews, ViewsMade, make_views

__all__ = ["ViewsMade", "make_role_views", "role_view_plans"]


def role_view_plans() -> list[RoleViews]:
    """One schema per role: the layers it may read, as the API answers them to it."""
    plans = [RoleViews(role=role, layers=tuple(name for name in LAYERS if may_read(role, name)),
                       hide_sensitive=not sees_sensitive(role), raw_text=sees_raw_text(role))
             for role in ROLES]
    return [plan for plan in plans if plan.layers]  # a role that reads no layer gets no schema


def make_role_views(store: Store, *, create_roles: bool = False) -> ViewsMade:
    """Make (again) the views of every role in ``store`` (PostGIS only; ``ViewsNeedPostgis``
    on SQLite), in one transaction; with ``create_roles`` the missing database roles too."""
    with store.engine.begin() as conn:
        lock_for_writing(conn)  # not while a migration or another run changes them
        return make_views(conn, role_view_plans(), create_roles=create_roles)
