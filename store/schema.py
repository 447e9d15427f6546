"""The schema the store code expects, generated from the data model in ``geo.layers``.

Files on disk get it from the migrations in ``store/migrations/versions``: a change here needs a
new revision there (``tests/test_migrations.py`` fails until the two agree).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean, Column, Dialect, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, Table,
    Text, UniqueConstraint, func,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

from geo.layers import LAYERS, LayerSpec

metadata = MetaData()

SRID = 3006  # SWEREF 99 TM, the CRS of every stored geometry


class PostgisGeometry(UserDefinedType[bytes]):
    """PostGIS ``geometry(Geometry, 3006)``, written and read as WKB (``ST_GeomFromWKB``,
    ``ST_AsBinary``) so the store code sees the same bytes as on SQLite."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return f"geometry(Geometry,{SRID})"

    def bind_expression(self, bindvalue: BindParameter[bytes]) -> ColumnElement[bytes]:
        return func.ST_GeomFromWKB(bindvalue, SRID, type_=self)

    def column_expression(self, colexpr: ColumnElement[bytes]) -> ColumnElement[bytes]:
        return func.ST_AsBinary(colexpr, type_=LargeBinary())


class Geometry(TypeDecorator[bytes]):
    """A layer's geometry as WKB in EPSG:3006: a BLOB on SQLite, PostGIS geometry on
    PostgreSQL (migration 0004, with a GiST index)."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(PostgisGeometry())
        return dialect.type_descriptor(LargeBinary())


meta_table = Table(
    "meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# One counter per layer, raised in the same transaction as every write to that layer: readers
# use it to know whether what they computed from the layer is still current.
generations_table = Table(
    "generations", metadata,
    Column("layer", Text, primary_key=True),
    Column("n", Integer, nullable=False),
)

users_table = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("token_sha256", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("token_expires_at", Text),  # UTC ISO 8601; None: the token never expires (0003)
    Column("revoked_at", Text),  # set: token revoked, no sign-in, sessions ended (0003)
    Column("organisation", Text),  # a partner reporter's (rapportor) organisation (0005)
    Column("kommuner", Text),  # the kommunkoder an account is limited to, "2281,2262" (0008)
)

sessions_table = Table(
    "sessions", metadata,
    Column("id_sha256", Text, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", Text, nullable=False),
)

# Who did what when: every feature write, import and sign-in (kept for audit_retention_days).
audit_table = Table(
    "audit", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Text, nullable=False),  # UTC, ISO 8601
    Column("actor", Text),  # account name; None: the system (CLI, demo loader)
    Column("role", Text),
    Column("action", Text, nullable=False),  # insert, update, delete, restore, import, clear, login
    Column("layer", Text),
    Column("feature_id", Integer),
    Column("version_before", Integer),
    Column("version_after", Integer),
    Column("details", Text),  # JSON: counts of an import, fields of an update
)
Index("ix_audit_at", audit_table.c.at)
Index("ix_audit_layer_feature", audit_table.c.layer, audit_table.c.feature_id)

# Reports from residents ("Tyck till") and partners (rapportor) awaiting or after moderation
# (geo.tips; 0005). Not a layer: nothing here is shown until a moderator approves it, and then
# as an unsafe_places record (``place_id``).
tips_table = Table(
    "tips", metadata,
    Column("id", Integer, primary_key=True),
    Column("receipt", Text, nullable=False, unique=True),  # the reporter's code for the status
    Column("state", Text, nullable=False),  # geo.tips.TIP_STATES
    Column("category", Text, nullable=False),  # geo.tips.TIP_CATEGORIES
    Column("description", Text, nullable=False),
    Column("x", Float, nullable=False),  # EPSG:3006 metres
    Column("y", Float, nullable=False),
    Column("time_of_day", Text),  # buskörning: geo.periods.BANDS
    Column("gathering", Text),  # buskörning: do people gather there (geo.tips.GATHERING)
    Column("observed_at", Text),  # UTC, ISO 8601: when it happened, if the reporter said
    Column("submitted_at", Text, nullable=False),  # UTC, ISO 8601
    Column("channel", Text, nullable=False),  # "allmanhet" (anonymous) or "samverkan" (partner)
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),  # a partner's
    Column("organisation", Text),  # the partner's organisation
    Column("decided_at", Text),
    Column("decided_by", Text),  # account name
    Column("place_id", Integer),  # the unsafe_places record it became or was merged into
    Column("personal_data", Text),  # JSON list of the kinds scrubbed on the decision
    Column("note", Text),  # the moderator's reason, shown to the reporter
)
Index("ix_tips_state", tips_table.c.state)
Index("ix_tips_user", tips_table.c.user_id)

# Survey figures per area (Polisens trygghetsmätning, NTU; geo.surveys; 0011): a share in per cent
# with its interval per survey, area, year and indicator. Not a layer: the areas are codes (DeSO,
# RegSO, kommunkod) or a police area's name, without geometry of their own.
survey_figures_table = Table(
    "survey_figures", metadata,
    Column("id", Integer, primary_key=True),
    Column("survey", Text, nullable=False),  # geo.surveys.SURVEYS
    Column("area_code", Text, nullable=False),
    Column("area_kind", Text, nullable=False),  # geo.surveys.AREA_KINDS
    Column("year", Integer, nullable=False),
    Column("indicator", Text, nullable=False),
    Column("value_pct", Float, nullable=False),
    Column("ci_low_pct", Float),
    Column("ci_high_pct", Float),
    Column("respondents", Integer),
    Column("provenance", Text, nullable=False),
    Column("source", Text),
    Column("imported_at", Text, nullable=False),  # UTC, ISO 8601
    UniqueConstraint("survey", "area_code", "year", "indicator", name="uq_survey_figures_key"),
)
Index("ix_survey_figures_area", survey_figures_table.c.area_code)

# Per-vertex times kept as numbers (migration 0006): epoch seconds UTC as a float64
# little-endian array (a BLOB on SQLite, bytea on PostgreSQL), NaN where a time could not be
# read; read back without parsing (``geo.tracks.VertexTimes``).
VERTEX_TIME_FIELDS = frozenset({("patrols", "times")})
VERTEX_TIME_DTYPE = "<f8"

_SQL_TYPES = {
    "text": Text, "int": Integer, "float": Float, "bool": Boolean,
    "datetime": Text, "list": Text, "json": Text,
}


def unique_constraint_name(spec: LayerSpec) -> str:
    """The name of the unique constraint of a layer with a composite natural key."""
    return f"uq_{spec.name}_{'_'.join(spec.unique_fields)}"


def _layer_table(spec: LayerSpec) -> Table:
    columns: list[Column[Any]] = [
        Column("id", Integer, primary_key=True),
        Column("geometry", Geometry, nullable=False),  # WKB in EPSG:3006
        Column("minx", Float, nullable=False),
        Column("miny", Float, nullable=False),
        Column("maxx", Float, nullable=False),
        Column("maxy", Float, nullable=False),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
        Column("version", Integer, nullable=False, default=1),
        Column("deleted_at", Text),  # soft delete: set, the feature is gone from every read
    ]
    single = spec.unique_fields[0] if len(spec.unique_fields) == 1 else None
    for f in spec.fields:
        kind = LargeBinary if (spec.name, f.name) in VERTEX_TIME_FIELDS else _SQL_TYPES[f.kind]
        columns.append(Column(f.name, kind(), nullable=not (f.required or f.name in
                                                            spec.unique_fields),
                              unique=(f.name == single)))
    table = Table(spec.name, metadata, *columns)
    if len(spec.unique_fields) > 1:  # a composite natural key (events: 0010)
        table.append_constraint(UniqueConstraint(*spec.unique_fields,
                                                 name=unique_constraint_name(spec)))
    Index(f"ix_{spec.name}_bbox", table.c.minx, table.c.maxx, table.c.miny, table.c.maxy)
    return table


layer_tables: dict[str, Table] = {name: _layer_table(spec) for name, spec in LAYERS.items()}
