"""The ``trygg`` command: a thin shell over the store and the ``geo`` functions."""

from __future__ import annotations

import json
import logging
import sys
from functools import wraps
from pathlib import Path
from typing import Any, Callable

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

    return Store.open(_settings(ctx).db)


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


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the app (http://127.0.0.1:8000)."""
    import uvicorn

    from api.app import create_app

    settings = _settings(ctx)
    _secret(ctx)
    app = create_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="info")


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
@click.argument("layer", type=click.Choice(list(LAYERS)))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--without-sensitive", is_flag=True, help="Leave out sensitive records.")
@click.pass_context
@domain_errors
def export(ctx: click.Context, layer: str, file: Path, without_sensitive: bool) -> None:
    """Export LAYER to FILE (.geojson, .gpkg, .csv or .gpx)."""
    from store.imports import export_layer_file

    n = export_layer_file(_store(ctx), layer, file, include_sensitive=not without_sensitive)
    click.echo(f"{layer}: skrev {_number(n)} objekt till {file}")


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
@click.pass_context
@domain_errors
def users_add(ctx: click.Context, name: str, role: str) -> None:
    """Create an account; prints its token once (use it as 'Authorization: Bearer TOKEN')."""
    from store.accounts import add_user

    token = add_user(_store(ctx), name, role, secret=_secret(ctx))
    click.echo(token)


@users.command("list")
@click.pass_context
@domain_errors
def users_list(ctx: click.Context) -> None:
    """List accounts and roles."""
    from store.accounts import list_users

    for user in list_users(_store(ctx)):
        click.echo(f"{user.id:>4}  {user.name:<24} {user.role}")


def main() -> None:
    cli(prog_name="trygg")


if __name__ == "__main__":
    main()
