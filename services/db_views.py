"""Read-only views per role for QGIS users who connect to a PostGIS store itself: the access
policy (``services.access``: the layers each role reads, who sees sensitive records and planned
checks, who sees free text unscrubbed) made into ``store.views``'s plans."""

from __future__ import annotations

import re
from collections.abc import Iterable

from geo.errors import ValidationFailed
from geo.layers import LAYERS
from services.access import ROLES, may_read, sees_raw_text, sees_sensitive
from store import Store
from store.migrations.runner import lock_for_writing
from store.views import RoleViews, ViewsMade, made_plans, make_views

__all__ = ["ViewsMade", "make_role_views", "role_view_plans"]


def role_view_plans(*, kommuner: Iterable[str] = ()) -> list[RoleViews]:
    """One schema per role: the layers it may read, as the API answers them to it; and for
    each of ``kommuner`` one more per role with only that municipality's records (as the API
    answers an account limited to it)."""
    plans = []
    for limit in ((), *((kod,) for kod in sorted(set(kommuner)))):
        plans += [RoleViews(role=role, layers=tuple(n for n in LAYERS if may_read(role, n)),
                            hide_sensitive=not sees_sensitive(role), raw_text=sees_raw_text(role),
                            kommuner=limit)
                  for role in ROLES]
    return [plan for plan in plans if plan.layers]  # a role that reads no layer gets no schema


def make_role_views(store: Store, *, kommuner: Iterable[str] = (), create_roles: bool = False
                    ) -> ViewsMade:
    """Make (again) the views of every role in ``store`` (PostGIS only; ``ViewsNeedPostgis``
    on SQLite), in one transaction, with the schemas per municipality of ``kommuner`` and of
    those made before; with ``create_roles`` the missing database roles too."""
    kommuner = list(kommuner)
    bad = [kod for kod in kommuner if not re.fullmatch(r"\d{4}", kod)]
    if bad:
        raise ValidationFailed(f"kommun: {bad[0][:10]!r} är ingen kommunkod; ange fyra siffror, "
                               "t.ex. 2262")
    with store.engine.begin() as conn:
        lock_for_writing(conn)  # not while a migration or another run changes them
        made_before = {kod for plan in made_plans(conn) for kod in plan.kommuner}
        plans = role_view_plans(kommuner={*kommuner, *made_before})
        return make_views(conn, plans, create_roles=create_roles)
