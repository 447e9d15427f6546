"""The store's upkeep: ``trygg db`` (schema version, upgrade, copy, views per role), ``audit``
and ``restore``."""

from __future__ import annotations

import json
from datetime import date

import click
import pandas as pd

from cli.base import cli, domain_errors, iso_date, number, settings_of, store_of
from geo.layers import LAYERS
from services.db_views import make_role_views
from services.municipality import served_municipality
from store.copy import DestinationNotEmpty, copy_store
from store.migrations.runner import current_revision, head_revision, needs_upgrade, upgrade


@cli.group("db")
def db() -> None:
    """Databasens schema: versionen och uppgradering (en säkerhetskopia görs först)."""


@db.command("current")
@click.pass_context
@domain_errors
def db_current(ctx: click.Context) -> None:
    """Show the store's schema revision and the newest this Trygg knows."""
    path = settings_of(ctx).db
    found, head = current_revision(path), head_revision()
    if found is None:
        click.echo(f"{path}: ny databas (ingen schemaversion), denna Trygg: {head}")
    else:
        state = "äldre, uppgraderas när den öppnas" if needs_upgrade(path) else "aktuell"
        click.echo(f"{path}: schemaversion {found} ({state}), denna Trygg: {head}")


@db.command("upgrade")
@click.pass_context
@domain_errors
def db_upgrade(ctx: click.Context) -> None:
    """Upgrade the store to this Trygg's schema, first backing it up beside itself."""
    done = upgrade(settings_of(ctx).db)
    if done.from_revision is None:
        click.echo(f"{done.path}: ny databas skapad med schemaversion {done.to_revision}")
    elif not done.changed:
        click.echo(f"{done.path}: schemaversion {done.to_revision} är redan aktuell")
    else:
        click.echo(f"{done.path}: uppgraderad från schemaversion {done.from_revision} till "
                   f"{done.to_revision}; säkerhetskopia: {done.backup}")


@db.command("copy")
@click.argument("source")
@click.argument("destination")
@click.option("--replace", is_flag=True,
              help="Empty the destination first (without it a store holding data is refused).")
@domain_errors
def db_copy(source: str, destination: str, replace: bool) -> None:
    """Copy a whole store (layers, accounts, audit) between SQLite files and PostGIS URLs,
    e.g. `trygg db copy var/trygg.sqlite postgresql://trygg@db/trygg`; all or nothing."""
    try:
        report = copy_store(source, destination, replace=replace)
    except DestinationNotEmpty:
        raise
    except ValueError as exc:  # the same store twice
        raise click.ClickException(str(exc)) from None
    click.echo(f"{report.source} → {report.destination}: {number(report.total)} rader kopierade")
    for table, n in report.rows.items():
        if n:
            click.echo(f"  {table:<24} {number(n):>8}")


@db.command("views")
@click.option("--create-roles", is_flag=True,
              help="Create the missing database roles (trygg_rad, …; NOLOGIN) first.")
@click.option("--kommun", "kommuner", multiple=True, metavar="KOMMUNKOD",
              help="Also a schema per role with only this municipality's records "
                   "(trygg_ROLE_KOMMUNKOD); repeat or KOD,KOD for several. Kept by later runs.")
@click.pass_context
@domain_errors
def db_views(ctx: click.Context, create_roles: bool, kommuner: tuple[str, ...]) -> None:
    """Make (again) the read-only views per role on a PostGIS store, for QGIS: schema trygg_ROLE
    with the layers the role reads, as the API answers them to it (trygg_ROLE_KOMMUNKOD: one
    municipality's records, as for an account limited to it). Run again any time."""
    kommuner = tuple(kod.strip() for given in kommuner for kod in given.split(",") if kod.strip())
    store = store_of(ctx)
    area = served_municipality(store, settings_of(ctx)).kommunkoder
    outside = [kod for kod in kommuner if kod not in area]
    if outside:
        raise click.BadParameter(f"{outside[0]} hör inte till databasens område; välj en av "
                                 f"{', '.join(area)}", param_hint="--kommun")
    made = make_role_views(store, kommuner=kommuner, create_roles=create_roles)
    for schema, layers in made.views.items():
        click.echo(f"{schema}: {len(layers)} vyer ({', '.join(layers)})")
    if made.created_roles:
        click.echo(f"nya databasroller: {', '.join(made.created_roles)}")
    if made.missing_roles:
        click.echo(f"databasroller saknas (skapa dem med --create-roles): "
                   f"{', '.join(made.missing_roles)}")
    click.echo("ge en inloggning läsrätt med t.ex. GRANT trygg_rad TO anna;")


@cli.command("audit")
@click.option("--layer", type=click.Choice(list(LAYERS)), default=None, help="Only this layer.")
@click.option("--since", callback=iso_date, default=None,
              help="From this day on (ÅÅÅÅ-MM-DD, UTC).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="At most this many rows, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@domain_errors
def audit(ctx: click.Context, layer: str | None, since: date | None, limit: int,
          as_json: bool) -> None:
    """Granskningsloggen: vem som ändrade, importerade, raderade och loggade in, och när."""
    rows = store_of(ctx).audit(layer=layer, since=None if since is None else pd.Timestamp(since),
                              limit=limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        who = f"{r['actor']} ({r['role']})" if r["actor"] else "system"
        what = f"{r['layer'] or ''} {r['feature_id'] or ''}".strip()
        versions = (f" v{r['version_before'] or '-'}→{r['version_after']}"
                    if r["version_after"] is not None else "")
        extra = f" {json.dumps(r['details'], ensure_ascii=False)}" if r["details"] else ""
        click.echo(f"{r['at'][:19]}Z {who:<28} {r['action']:<8} {what}{versions}{extra}")


@cli.command("restore")
@click.argument("layer", type=click.Choice(list(LAYERS)))
@click.argument("feature_id", type=int)
@click.pass_context
@domain_errors
def restore(ctx: click.Context, layer: str, feature_id: int) -> None:
    """Återställ ett raderat objekt (FEATURE_ID i LAYER)."""
    store_of(ctx).restore(layer, feature_id)
    click.echo(f"{layer} {feature_id}: återställt")
