"""The ``trygg`` command: a thin shell over the store and the ``geo`` functions."""

from __future__ import annotations

import json
import logging
import sys
from functools import wraps
from pathlib import Path
from typing import Any
from collections.abc import Callable

import click
from pydantic import ValidationError

from geo.errors import TryggError
from geo.layers import LAYERS
from trygg.settings import Settings

log = logging.getLogger("trygg")


def _settings(ctx: click.Context) -> Settings:
    try:
        return Settings(**ctx.obj)
    except ValidationError as exc:
        raise click.ClickException("; ".join(e["msg"] for e in exc.errors())) from None


def _store(ctx: click.Context):
    from store import Store

    settings = _settings(ctx)
    return Store.open(settings.db, audit_retention_days=settings.audit_retention_days)


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a domain error as one clear line on stderr and exit 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TryggError as exc:
            click.echo(f"Fel: {exc.message}", err=True)
            for detail in exc.details[20:]:
                click.echo(f"  {detail}", err=True)
            sys.exit(1)
        except Exception as exc:  # a full disk or a read-only store: one line, no traceback
            from api.errors import fault_message

            message = fault_message(exc)
            if message is None:
                raise
            click.echo(f"Fel: {message}", err=True)
            sys.exit(1)

    return wrapper


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")


@click.group()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store file (default: $TRYGG_DB or var/trygg.sqlite).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, verbose: bool) -> None:
    """Trygg: kartor och uppföljning för medborgarlöftet."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db": db} if db else {}


def _secret(ctx: click.Context) -> str:
    try:
        return _settings(ctx).checked_secret()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For is believed only from TRYGG_TRUSTED_PROXIES
    (uvicorn's own default trusts 127.0.0.1, so a local client could pick its address)."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1,
              help="Worker processes (each with its own cache); about one per core.")
@click.option("--access-log/--no-access-log", default=True, help="Log every request.")
@click.pass_context
@domain_errors
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int,
          access_log: bool) -> None:
    """Serve the app (http://127.0.0.1:8000)."""
    import os

    import uvicorn

    from api.app import create_app

    settings = _settings(ctx)
    _secret(ctx)
    host, port = host or settings.host, port or settings.port
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    access_log=access_log, **_proxy_options(settings))
        return
    os.environ["TRYGG_DB"] = str(settings.db)  # each worker builds the app from the environment
    from store import Store

    Store.open(settings.db).close()  # create or check the store once, before the workers start
    uvicorn.run("api.app:create_app", factory=True, workers=workers, host=host, port=port,
                log_level="info", access_log=access_log, **_proxy_options(settings))


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the demo was loaded before.")
@click.pass_context
@domain_errors
def demo(ctx: click.Context, if_empty: bool) -> None:
    """Load the Timrå demo into the store (replacing its demo layers)."""
    from store.demo import demo_loaded_at, load_demo

    store = _store(ctx)
    when = demo_loaded_at(store)
    if if_empty and when:
        click.echo(f"Timrådemon finns redan i {store.path} (laddad {when}).")
        return
    counts = load_demo(store, _settings(ctx).data_dir)
    click.echo(f"Timrådemon laddad i {store.path}:")
    for layer, n in counts.items():
        click.echo(f"  {LAYERS[layer].title_sv:<22} {_number(n):>8}")


@cli.command("import")
@click.argument("layer", type=click.Choice(list(LAYERS)))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", default=None, help="The file's CRS if it declares none, e.g. EPSG:3006.")
@click.option("--provenance", type=click.Choice(["real", "derived", "illustrative", "simulated"]),
              default=None, help="Provenance of features that do not state one (default real).")
@click.option("--source", default=None, help="Source text (default: the file's name).")
@click.option("--replace", is_flag=True, help="Replace the layer's features.")
@click.option("--source-layer", default=None, help="Layer of a multi-layer GeoPackage.")
@click.pass_context
@domain_errors
def import_(ctx: click.Context, layer: str, file: Path, crs: str | None,
            provenance: str | None, source: str | None, replace: bool,
            source_layer: str | None) -> None:
    """Import FILE (GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV, OSM) into LAYER.

    All or nothing: on any problem nothing is written and the exit code is 1.
    """
    from store.imports import import_layer_file

    result = import_layer_file(_store(ctx), layer, file, crs=crs, provenance=provenance,
                               source=source, replace=replace, source_layer=source_layer,
                               max_bytes=int(_settings(ctx).max_import_mb * 1_000_000))
    verb = "ersatte lagret med" if result.replaced else "lade till"
    click.echo(f"{file.name}: {verb} {_number(result.inserted)} objekt i {layer}"
               + (f", uppdaterade {_number(result.updated)}" if result.updated else ""))


@cli.command("export")
@click.argument("layer", metavar="LAYER|FILE")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--all", "all_layers", is_flag=True,
              help="Every layer into one FILE (.gpkg with QGIS styles, or .xlsx).")
@click.option("--csv-dialect", type=click.Choice(["excel", "rfc4180"]), default="excel",
              show_default=True,
              help="excel: Swedish Excel (BOM, ';', decimal comma, Swedish time); "
                   "rfc4180: plain UTF-8 ',' CSV, times in UTC.")
@click.option("--without-sensitive", is_flag=True, help="Leave out sensitive records.")
@click.pass_context
@domain_errors
def export(ctx: click.Context, layer: str, file: Path | None, all_layers: bool,
           csv_dialect: str, without_sensitive: bool) -> None:
    """Export LAYER to FILE (.geojson, .gpkg, .csv, .xlsx or .gpx), or with --all every layer
    to one FILE (.gpkg or .xlsx)."""
    from geo.io import write_layer_file, write_layers_file
    from geo.privacy import without_sensitive as drop_sensitive

    store = _store(ctx)

    def read(name: str):
        gdf = store.read(name)
        return drop_sensitive(name, gdf) if without_sensitive else gdf

    if all_layers:
        if file is not None:
            raise click.UsageError("with --all give only FILE: trygg export --all ut.gpkg")
        target = Path(layer)
        frames = {name: read(name) for name in LAYERS}
        write_layers_file(frames, target)
        total = sum(len(gdf) for gdf in frames.values())
        click.echo(f"{len(frames)} lager: skrev {_number(total)} objekt till {target}")
        return
    if file is None:
        raise click.UsageError("give LAYER and FILE (or --all FILE)")
    if layer not in LAYERS:
        raise click.BadParameter(f"{layer!r} is not one of {', '.join(LAYERS)}",
                                 param_hint="LAYER")
    gdf = read(layer)
    write_layer_file(gdf, LAYERS[layer], file, members={"title": LAYERS[layer].title_sv},
                     csv_dialect=csv_dialect)
    click.echo(f"{layer}: skrev {_number(len(gdf))} objekt till {file}")


@cli.command("layers")
@click.pass_context
@domain_errors
def layers(ctx: click.Context) -> None:
    """List the layers and their feature counts."""
    store = _store(ctx)
    for name, n in store.counts().items():
        click.echo(f"{name:<16} {LAYERS[name].title_sv:<22} {_number(n):>8}")


@cli.group("events")
def events() -> None:
    """Police events from the Police open API."""


@events.command("ingest")
@click.argument("source")
@click.option("--municipality", default=None,
              help="Keep only this municipality's events (e.g. Timrå).")
@click.pass_context
@domain_errors
def events_ingest(ctx: click.Context, source: str, municipality: str | None) -> None:
    """Ingest events from a file or URL (idempotent by event id)."""
    from store.imports import ingest_events

    result = ingest_events(_store(ctx), source, municipality=municipality)
    click.echo(f"{result.file}: {_number(result.inserted)} nya händelser, "
               f"{_number(result.updated)} uppdaterade")


@events.command("geocode")
@click.argument("source")
@click.option("--municipality", default=None, help="Keep only this municipality's events.")
@click.option("--gazetteer", "gazetteer_path", type=click.Path(path_type=Path), default=None,
              help="Gazetteer JSON (default: the store's gazetteer layer, else the shipped one).")
@click.pass_context
@domain_errors
def events_geocode(ctx: click.Context, source: str, municipality: str | None,
                   gazetteer_path: Path | None) -> None:
    """Print SOURCE's events as a GeoJSON FeatureCollection placed from their text."""
    from geo.gazetteer import read_gazetteer
    from geo.geocode import events_to_feature_collection
    from store.imports import geocoded_events

    if gazetteer_path is None:
        store = _store(ctx)
        gazetteer = store.read("gazetteer")
        if gazetteer.empty:
            gazetteer = read_gazetteer(_settings(ctx).data_dir / "timra" / "gazetteer.json")
    else:
        gazetteer = read_gazetteer(gazetteer_path)
    placed = geocoded_events(source, gazetteer, municipality=municipality)
    click.echo(json.dumps(events_to_feature_collection(placed), ensure_ascii=False))


@cli.group("users")
def users() -> None:
    """Accounts and their API tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(["planerare", "patrullchef", "rad", "admin"]))
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The token stops working after this many days (default: never).")
@click.pass_context
@domain_errors
def users_add(ctx: click.Context, name: str, role: str, expires_days: float | None) -> None:
    """Create an account; prints its token once (use it as 'Authorization: Bearer TOKEN')."""
    from store.accounts import add_user

    token = add_user(_store(ctx), name, role, secret=_secret(ctx), expires_days=expires_days)
    click.echo(token)


@users.command("rotate")
@click.argument("name")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The new token stops working after this many days (default: never).")
@click.pass_context
@domain_errors
def users_rotate(ctx: click.Context, name: str, expires_days: float | None) -> None:
    """Give NAME a new token (printed once); the old one and NAME's sessions stop at once."""
    from store.accounts import rotate_token

    click.echo(rotate_token(_store(ctx), name, secret=_secret(ctx), expires_days=expires_days))


@users.command("revoke")
@click.argument("name")
@click.pass_context
@domain_errors
def users_revoke(ctx: click.Context, name: str) -> None:
    """Revoke NAME's token and end its sessions ('users rotate' gives it a new one)."""
    from store.accounts import revoke_user

    revoke_user(_store(ctx), name, secret=_secret(ctx))
    click.echo(f"{name}: nyckeln är spärrad och inloggningarna avslutade")


@users.command("list")
@click.pass_context
@domain_errors
def users_list(ctx: click.Context) -> None:
    """List accounts and roles."""
    from store.accounts import list_users

    for user in list_users(_store(ctx)):
        click.echo(f"{user.id:>4}  {user.name:<24} {user.role}")


@cli.group("db")
def db() -> None:
    """Databasens schema: versionen och uppgradering (en säkerhetskopia görs först)."""


@db.command("current")
@click.pass_context
@domain_errors
def db_current(ctx: click.Context) -> None:
    """Show the store's schema revision and the newest this Trygg knows."""
    from store.migrations.runner import current_revision, head_revision, needs_upgrade

    path = _settings(ctx).db
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
    from store.migrations.runner import upgrade

    done = upgrade(_settings(ctx).db)
    if done.from_revision is None:
        click.echo(f"{done.path}: ny databas skapad med schemaversion {done.to_revision}")
    elif not done.changed:
        click.echo(f"{done.path}: schemaversion {done.to_revision} är redan aktuell")
    else:
        click.echo(f"{done.path}: uppgraderad från schemaversion {done.from_revision} till "
                   f"{done.to_revision}; säkerhetskopia: {done.backup}")


@cli.command("audit")
@click.option("--layer", type=click.Choice(list(LAYERS)), default=None, help="Only this layer.")
@click.option("--since", callback=lambda _c, _p, v: _iso_date(_c, _p, v), default=None,
              help="From this day on (ÅÅÅÅ-MM-DD, UTC).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="At most this many rows, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@domain_errors
def audit(ctx: click.Context, layer: str | None, since: Any, limit: int, as_json: bool) -> None:
    """Granskningsloggen: vem som ändrade, importerade, raderade och loggade in, och när."""
    rows = _store(ctx).audit(layer=layer, since=since, limit=limit)
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
    _store(ctx).restore(layer, feature_id)
    click.echo(f"{layer} {feature_id}: återställt")


@cli.group("siting")
def siting() -> None:
    """Traffic-check siting: suggested sites and a randomised weekly plan."""


def _siting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by ``siting suggest`` and ``siting schedule``."""
    from geo.layers import RISK_CATEGORIES

    options = [
        click.option("--k", "k", type=int, default=5, show_default=True, help="Number of sites."),
        click.option("--radius", "radius_m", type=float, default=1500.0, show_default=True,
                     help="Coverage radius in metres."),
        click.option("--category", "categories", multiple=True,
                     type=click.Choice(list(RISK_CATEGORIES)), help="Risk category (repeatable)."),
        click.option("--fixed", multiple=True, metavar="LON,LAT",
                     help="A site fixed by the planner (WGS84; repeatable)."),
        click.option("--spacing", "spacing_m", type=float, default=0.0,
                     help="Least distance between chosen sites, metres."),
        click.option("--rotation-weeks", type=int, default=0,
                     help="Leave out sites of checks in the last N weeks."),
        click.option("--rotation", type=click.Choice(["exclude", "penalise"]), default="exclude",
                     help="Exclude recently used sites or penalise them."),
        click.option("--hours", default=None, help="Time-of-day filter, e.g. 22-6 (local)."),
        click.option("--method", type=click.Choice(["mip", "greedy"]), default="mip"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _fixed_points(values: tuple[str, ...]) -> list[tuple[float, float]]:
    points = []
    for text in values:
        try:
            lon, lat = (float(v) for v in text.split(","))
        except ValueError:
            raise click.BadParameter(f"{text!r}: write LON,LAT, e.g. 17.33,62.49",
                                     param_hint="--fixed") from None
        points.append((lon, lat))
    return points


@siting.command("suggest")
@_siting_options
@click.pass_context
@domain_errors
def siting_suggest(ctx: click.Context, fixed: tuple[str, ...], categories: tuple[str, ...],
                   **options: Any) -> None:
    """Print suggested sites as GeoJSON: one feature per site, the figures as top-level members."""
    from store.siting import suggest

    _, doc = suggest(_store(ctx), fixed=_fixed_points(fixed), categories=list(categories),
                     **options)
    click.echo(json.dumps(doc, ensure_ascii=False))


@siting.command("schedule")
@click.option("--week", required=True, help="ISO week, e.g. 2024-W10.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the draw.")
@click.option("--checks", type=int, default=6, show_default=True, help="Checks in the week.")
@click.option("--block-h", type=click.Choice(["1", "2", "3", "4", "6"]), default="2",
              show_default=True, help="Length of a time block, hours.")
@click.option("--max-per-site", type=int, default=2, show_default=True)
@click.option("--available-hours", default="0-24", show_default=True,
              help="The planner's available local hours each day, e.g. 6-24.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@_siting_options
@click.pass_context
@domain_errors
def siting_schedule(ctx: click.Context, week: str, seed: int, checks: int, block_h: str,
                    max_per_site: int, available_hours: str, as_json: bool,
                    fixed: tuple[str, ...], categories: tuple[str, ...], **options: Any) -> None:
    """Draw a randomised weekly plan of checks (site × time block)."""
    from store.siting import schedule

    plan = schedule(_store(ctx), week=week, seed=seed, checks=checks, block_h=int(block_h),
                    max_per_site=max_per_site, available_hours=available_hours,
                    fixed=_fixed_points(fixed), categories=list(categories), **options)
    if as_json:
        click.echo(json.dumps(plan, ensure_ascii=False))
        return
    click.echo(f"Veckoplan {plan['week']} (slumpfrö {plan['seed']}): "
               f"{len(plan['checks'])} kontroller")
    for row in plan["checks"]:
        click.echo(f"  {row['weekday']:<8} {row['block']:<6} {row['site_rank']}. {row['site']}"
                   f"  ({row['lat']:.5f}, {row['lon']:.5f})")
    click.echo(f"Planerade timmar: {100 * plan['hours_share_planned']:.1f} % av veckan, "
               f"som bär {100 * plan['risk_share_planned']:.1f} % av risken.")
    click.echo(f"  {'period':<24} {'planerat':>9} {'risk':>7}")
    for row in plan["comparison"]:
        click.echo(f"  {row['period']:<24} {100 * row['planned_share']:>8.1f}% "
                   f"{100 * row['risk_share']:>6.1f}%")
    for note in plan["notes"]:
        click.echo(f"Obs: {note}")


@cli.command("report")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="First day of the period (YYYY-MM-DD).")
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]),
              help="Last day of the period, included.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to FILE.html or FILE.pdf.")
@click.option("--keep", is_flag=True, help="Keep the report: the next report compares with it.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_context
@domain_errors
def report(ctx: click.Context, first: Any, last: Any, out: Path | None, keep: bool,
           as_json: bool) -> None:
    """The follow-up report of the medborgarlöfte for the council's meeting."""
    from geo.promise import load_promise
    from geo.report import report_figures
    from maps.report import report_html, report_pdf
    from store.reports import keep_report, make_report, promise_path

    if out is not None and out.suffix.lower() not in (".html", ".pdf"):
        raise click.BadParameter("the file must end in .html or .pdf", param_hint="--out")
    store = _store(ctx)
    made = make_report(store, load_promise(promise_path(_settings(ctx).data_dir)),
                       first=first.date(), last=last.date())
    if out is not None:
        boundaries = store.read("boundaries")
        if out.suffix.lower() == ".pdf":
            out.write_bytes(report_pdf(made, boundaries))
        else:
            out.write_text(report_html(made, boundaries), encoding="utf-8")
    if keep:
        kept_id = keep_report(store, made)
    if as_json:
        click.echo(json.dumps(report_figures(made), ensure_ascii=False))
        return
    click.echo(f"Uppföljning {first.date()} – {last.date()}:")
    for note in made.notes:
        click.echo(f"  {note}")
    for section in made.sections:
        click.echo(f"  {section.commitment.short}: {section.summary}")
    if out is not None:
        click.echo(f"Skrev rapporten till {out}")
    if keep:
        click.echo(f"Rapporten är sparad (nummer {kept_id}).")


@cli.group("coverage")
def coverage() -> None:
    """Täckning: fotpatrull i patrullområdena och trafikkontroller på riskvägarna."""


def _iso_date(_ctx: click.Context, _param: click.Parameter, value: str | None):
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} är inte ett datum (ÅÅÅÅ-MM-DD)") from None


def _f(value: Any, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", "\u00a0")


@coverage.command("patrols")
@click.option("--from", "from_", callback=_iso_date, help="Första dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", callback=_iso_date, help="Sista dag (ÅÅÅÅ-MM-DD).")
@click.option("--baseline-from", callback=_iso_date, help="Jämförelseperiodens första dag.")
@click.option("--baseline-to", callback=_iso_date, help="Jämförelseperiodens sista dag.")
@click.option("--reach-m", type=float, default=50.0, show_default=True,
              help="Räckvidd från spåret för gatutäckning, meter.")
@click.option("--json", "as_json", is_flag=True, help="Skriv JSON (som API:t).")
@click.pass_context
@domain_errors
def coverage_patrols(ctx: click.Context, from_, to, baseline_from, baseline_to,
                     reach_m: float, as_json: bool) -> None:
    """Fotpatrullens närvaro, besök, glapp och täckning per område (standard: de fyra senaste
    veckorna med patruller)."""
    from api.routes.coverage import patrol_report

    report = patrol_report(_store(ctx), from_, to, baseline_from=baseline_from,
                           baseline_to=baseline_to, reach_m=reach_m)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"Fotpatrull {report['period_from']} – {report['period_to']} "
               f"({report['days']} dagar, {report['tracks_in_period']} pass, räckvidd "
               f"{_f(report['reach_m'])} m)")
    click.echo(f"{'Område':<26}{'min':>8}{'min/v':>8}{'mål/v':>7}{'mål %':>7}{'besök':>6}"
               f"{'glapp h':>8}{'täckn %':>8}{'dos %':>7}{'ändr %':>8}")
    for z in report["zones"]:
        base = z["baseline"]
        click.echo(f"{z['name'][:25]:<26}{_f(z['minutes']):>8}{_f(z['minutes_per_week']):>8}"
                   f"{_f(z['target_minutes_per_week']):>7}{_f(z['target_pct']):>7}"
                   f"{z['visits']:>6}{_f(z['longest_gap_h'], 1):>8}"
                   f"{_f(z['coverage_pct'], 1):>8}{_f(z['dosage']['dosed_pct'], 1):>7}"
                   f"{_f(base['change_pct'], 1) if base else '':>8}")
    click.echo("min/v: närvaro per vecka; dos %: andel av aktiva timmar med högst 2 h mellan "
               "besök på minst 10 min; ändr %: mot jämförelseperioden.")


@coverage.command("checks")
@click.option("--from", "from_", callback=_iso_date, help="Första dag (ÅÅÅÅ-MM-DD).")
@click.option("--to", callback=_iso_date, help="Sista dag (ÅÅÅÅ-MM-DD).")
@click.option("--radius-m", type=float, default=1000.0, show_default=True,
              help="Avstånd från vägen som räknas, meter.")
@click.option("--json", "as_json", is_flag=True, help="Skriv JSON (som API:t).")
@click.pass_context
@domain_errors
def coverage_checks(ctx: click.Context, from_, to, radius_m: float, as_json: bool) -> None:
    """Trafikkontroller per riskväg och riskviktad täckning (standard: senaste 365 dagarna)."""
    from api.routes.coverage import check_report

    report = check_report(_store(ctx), from_, to, radius_m=radius_m)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"Trafikkontroller {report['period_from']} – {report['period_to']}: "
               f"{report['checks_performed']} genomförda, {report['checks_at_risk_places']} vid "
               f"riskvägar, {report['checks_elsewhere']} på annan plats, "
               f"{report['checks_place_unknown']} med okänd plats (räknas inte)")
    click.echo(f"{'Väg':<26}{'vikt':>6}{'kontr':>6}{'senast':>12}{'dagar':>7}{'täckt %':>8}"
               f"{'kontr.':>7}{'utand.':>7}{'rattf.':>7}{'hast.':>7}")
    for r in report["roads"]:
        res = r["results"]
        cells = "".join(f"{res[k]['total']}{'?' if res[k]['unknown'] else '':<1}".rjust(7)
                        for k in ("checked", "breath_tests", "suspected_dui", "speeding"))
        click.echo(f"{r['name'][:25]:<26}{_f(r['risk_weight']):>6}{r['checks']:>6}"
                   f"{r['last_check'] or '–':>12}{_f(r['days_since_last']):>7}"
                   f"{_f(r['covered_pct'], 1):>8}{cells}")
    click.echo(f"Riskviktad väglängd inom {_f(report['radius_m'])} m från en kontroll: "
               f"{_f(report['weighted_covered_pct'], 1)} %")
    for c in report["categories"]:
        click.echo(f"  {c['category']:<12} {c['roads']} vägar, {_f(c['covered_pct'], 1)} %")
    click.echo("?: några kontroller rapporterade inte värdet (summan gäller de kända).")


def main() -> None:
    cli(prog_name="trygg")


if __name__ == "__main__":
    main()
