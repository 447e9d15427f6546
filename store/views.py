"""Read-only views per role on a PostGIS store, for QGIS users who connect to the database itself.

Each role gets a schema (``trygg_rad``, ``trygg_planerare``, ``trygg_patrullchef``,
``trygg_admin``) holding one view per layer the role may read, named as the layer. A view answers
what a read of the layer answers that role through the API: deleted records left out, and for
roles that may not see them the sensitive records and planned traffic checks left out in SQL (the
conditions ``store.store`` pages with). Free text the API scrubs for a role (every column that
``geo.privacy.NOT_FREE_TEXT`` does not name) cannot be scrubbed in SQL the way ``geo.privacy``
does: for roles that see scrubbed text, a view shows a text only where scrubbing would change
nothing and withholds the whole text otherwise (``MAY_HOLD_PERSONAL_DATA``). Dates are
``timestamptz``, the geometry is PostGIS geometry in EPSG:3006; the store's own bounding-box and
soft-delete columns are not shown. The views are ``security_barrier`` views, so no function in a
reader's query runs on a row the view leaves out. In a police area's store a role may also get a
schema per municipality (``trygg_rad_2262``) holding only that municipality's records, as the API
answers an account limited to it.

A database role of the same name as the schema (``NOLOGIN``; people's logins are members of it)
gets ``USAGE`` on its schema and ``SELECT`` on its views, nothing else: the views read the
tables with their owner's rights, so a member reads no base table and writes nothing.

Which roles read which layers is the access policy's (``services.access``): the caller hands in
the plans. Each schema keeps its plan in its comment (a first line for people, the plan as JSON
on the second), so that a migration, which may change the tables under the views, drops them
first and makes them again after (``drop_for_migration`` and ``restore_after_migration``, run by
``store.migrations.runner``), whatever a copy of the store did to its tables.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass

from sqlalchemy import Connection, and_, false, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from geo.errors import TryggError
from geo.layers import LAYERS, SYSTEM_COLUMNS, layer_spec
from geo.privacy import NOT_FREE_TEXT
from store.queries import kommun_conditions, visible_conditions
from store.schema import layer_tables

SCHEMA_PREFIX = "trygg_"
COMMENT_START = "Trygg: skrivskyddade vyer för rollen"  # marks a schema of these views


class ViewsNeedPostgis(TryggError, RuntimeError):
    """Views per role need database roles: PostgreSQL has them, a SQLite file does not."""


@dataclass(frozen=True)
class RoleViews:
    """What one role's schema holds: the views of ``layers``; ``hide_sensitive`` leaves out the
    records only police roles read; ``raw_text`` shows free text as stored (else a text that
    may hold personal data is withheld, as the API scrubs it)."""

    role: str
    layers: tuple[str, ...]
    hide_sensitive: bool
    raw_text: bool
    kommuner: tuple[str, ...] = ()  # only these municipalities' records; (): every record

    @property
    def schema(self) -> str:
        """The schema, and the name of the database role that reads it: ``trygg_rad``, or
        ``trygg_rad_2262`` for the records of one municipality."""
        limit = "".join(f"_{kod}" for kod in self.kommuner)
        return f"{SCHEMA_PREFIX}{self.role}{limit}"


@dataclass(frozen=True)
class ViewsMade:
    """What ``make_views`` did: views per schema, roles created now, roles granted to."""

    views: dict[str, tuple[str, ...]]
    created_roles: tuple[str, ...]
    granted_roles: tuple[str, ...]
    missing_roles: tuple[str, ...]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    """A SQL string literal (standard_conforming_strings, PostgreSQL's default since 9.1)."""
    return "'" + value.replace("'", "''") + "'"


# geo.privacy scrubs nothing from a text its fast path (``_CANDIDATE``: an "@" or six digits
# close together) passes over. SQL cannot scrub as geo.privacy does, so a view withholds every
# free text that a broader pattern meets (any non-ASCII character counts as a digit, as Python's
# \d meets digits of every script; any character fills a gap) and shows the others as stored:
# what a view shows of a text is never more than the API answers.
MAY_HOLD_PERSONAL_DATA = r"@|[^\x01-\x2f\x3a-\x7f](.{0,6}[^\x01-\x2f\x3a-\x7f]){5}"
WITHHELD = "[dolt: kan innehålla personuppgifter]"


def view_columns(layer: str) -> list[str]:
    """The columns of ``layer``'s view: the system columns, the geometry and every field."""
    fields = [f.name for f in layer_spec(layer).fields]
    return [SYSTEM_COLUMNS[0], "geometry", *SYSTEM_COLUMNS[1:], *fields]


def view_select(layer: str, *, base_schema: str, hide_sensitive: bool, raw_text: bool,
                present: Collection[str] | None = None, kommuner: Collection[str] = ()) -> str:
    """The SELECT of ``layer``'s view over the table in ``base_schema`` (PostgreSQL SQL), of
    the columns ``present`` in the table if given (a store at an older revision: a migration
    makes the views again with the columns it adds); with ``kommuner`` only those
    municipalities' records (none from a table without a kommunkod)."""
    spec = layer_spec(layer)
    table = layer_tables[spec.name]
    allowed = NOT_FREE_TEXT[layer]
    kinds = {f.name: f.kind for f in spec.fields} | {"created_at": "datetime",
                                                      "updated_at": "datetime"}
    shown = []
    for column in view_columns(layer):
        if present is not None and column not in present:
            continue
        if kinds.get(column) == "datetime":  # ISO 8601 text in the table: a date for QGIS
            shown.append(f"CAST(NULLIF({_q(column)}, '') AS timestamptz) AS {_q(column)}")
        elif not raw_text and column in spec.field_by_name and column not in allowed:
            shown.append(f"CASE WHEN {_q(column)} ~ '{MAY_HOLD_PERSONAL_DATA}' "
                         f"THEN '{WITHHELD}' ELSE {_q(column)} END AS {_q(column)}")
        else:
            shown.append(_q(column))
    conditions: list[ColumnElement[bool]] = [table.c.deleted_at.is_(None)]
    if hide_sensitive:
        conditions += visible_conditions(layer, table)
    if kommuner:
        conditions += ([false()] if present is not None and "kommunkod" not in present
                       else kommun_conditions(table, kommuner))
    where = and_(*conditions).compile(dialect=postgresql.dialect(),
                                      compile_kwargs={"literal_binds": True})
    return (f"SELECT {', '.join(shown)} FROM {_q(base_schema)}.{_q(layer)} AS {_q(layer)} "
            f"WHERE {where}")


def _comment(plan: RoleViews, layer: str) -> str:
    left_out = []
    if plan.hide_sensitive:
        left_out.append("känsliga poster och planerade kontroller")
    if not plan.raw_text:
        left_out.append("fritext som kan innehålla personuppgifter")
    spec = layer_spec(layer)
    tail = f" utan {' och '.join(left_out)}" if left_out else ""
    where = f" i kommun {', '.join(plan.kommuner)}" if plan.kommuner else ""
    return (f"{spec.title_sv}{where} som rollen {plan.role} läser dem i Trygg{tail} "
            "(skrivskyddad)")


def _require_postgresql(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise ViewsNeedPostgis(
            "Vyer per roll kräver PostGIS (TRYGG_DB=postgresql://…): en SQLite-fil har inga "
            "databasroller, den som kan läsa filen läser allt. Ge QGIS-användare en GeoPackage "
            "(trygg export --all) eller OGC API (/ogc) i stället / views per role need a "
            "PostGIS store: a SQLite file has no database roles")


def _roles_present(conn: Connection, names: Iterable[str]) -> set[str]:
    rows = conn.execute(text("SELECT rolname FROM pg_roles WHERE rolname = ANY(:names)"),
                        {"names": list(names)}).scalars()
    return set(rows)


def _write_views(conn: Connection, plans: Iterable[RoleViews]) -> dict[str, tuple[str, ...]]:
    base = conn.execute(text("SELECT current_schema()")).scalar_one()
    # A store at an older revision may lack a layer or a column (information_schema, not
    # SQLAlchemy's inspector, which does not know PostGIS's geometry type).
    columns: dict[str, set[str]] = {}
    for table_name, column in conn.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()")):
        columns.setdefault(str(table_name), set()).add(str(column))
    made: dict[str, tuple[str, ...]] = {}
    for plan in plans:
        schema = _q(plan.schema)
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC"))
        comment = f"{COMMENT_START} {plan.role}\n{json.dumps(asdict(plan))}"
        conn.exec_driver_sql(f"COMMENT ON SCHEMA {schema} IS {_literal(comment)}")
        layers = tuple(layer for layer in plan.layers if layer in LAYERS and layer in columns)
        for layer in layers:
            present = columns[layer]
            select_sql = view_select(layer, base_schema=base, hide_sensitive=plan.hide_sensitive,
                                     raw_text=plan.raw_text, present=present,
                                     kommuner=plan.kommuner)
            view = f"{schema}.{_q(layer)}"
            conn.exec_driver_sql(f"CREATE VIEW {view} WITH (security_barrier) AS {select_sql}")
            conn.exec_driver_sql(f"COMMENT ON VIEW {view} IS {_literal(_comment(plan, layer))}")
        made[plan.schema] = layers
    return made


def _grant(conn: Connection, plans: Iterable[RoleViews]) -> tuple[str, ...]:
    plans = list(plans)
    present = _roles_present(conn, [p.schema for p in plans])
    granted = []
    for plan in plans:
        if plan.schema not in present:
            continue
        schema = _q(plan.schema)
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {schema}"))
        conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {schema}"))
        granted.append(plan.schema)
    return tuple(granted)


def make_views(conn: Connection, plans: Iterable[RoleViews], *, create_roles: bool = False
               ) -> ViewsMade:
    """Make (again) every role's schema and views in ``conn``'s transaction and grant each
    existing role of a schema's name its reads; with ``create_roles`` the missing roles are
    created first (``NOLOGIN``: logins are made members with ``GRANT trygg_rad TO anna``).
    Idempotent. Raises ``ViewsNeedPostgis`` on SQLite."""
    _require_postgresql(conn)
    plans = list(plans)
    names = [p.schema for p in plans]
    created: list[str] = []
    if create_roles:
        present = _roles_present(conn, names)
        for name in names:
            if name not in present:
                conn.execute(text(f"CREATE ROLE {_q(name)} NOLOGIN"))
                created.append(name)
    made = _write_views(conn, plans)
    granted = _grant(conn, plans)
    return ViewsMade(views=made, created_roles=tuple(created), granted_roles=granted,
                     missing_roles=tuple(n for n in names if n not in granted))


def made_plans(conn: Connection) -> list[RoleViews]:
    """The plans of the role schemas in this database (read from their comments)."""
    if conn.dialect.name != "postgresql":
        return []
    comments = conn.execute(text(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace "
        "WHERE starts_with(nspname, :prefix) ORDER BY nspname"),
        {"prefix": SCHEMA_PREFIX}).scalars()
    plans = []
    for comment in comments:
        if comment and comment.startswith(COMMENT_START) and "\n" in comment:
            p = json.loads(comment.split("\n", 1)[1])
            plans.append(RoleViews(role=p["role"], layers=tuple(p["layers"]),
                                   hide_sensitive=bool(p["hide_sensitive"]),
                                   raw_text=bool(p["raw_text"]),
                                   kommuner=tuple(p.get("kommuner", ()))))
    return plans


def drop_for_migration(conn: Connection) -> list[RoleViews]:
    """Drop the role schemas (a migration may alter the tables under them); return their plans
    for ``restore_after_migration``."""
    plans = made_plans(conn)
    for plan in plans:
        conn.execute(text(f"DROP SCHEMA {_q(plan.schema)} CASCADE"))
    return plans


def restore_after_migration(conn: Connection, plans: list[RoleViews]) -> None:
    """Make the views of ``plans`` again over the migrated tables, with their grants."""
    if plans:
        _write_views(conn, plans)
        _grant(conn, plans)
