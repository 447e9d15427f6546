"""The data commands: the demo, layer import and export, the layer list, police events.

The demo, import, export and polling use-cases are imported inside their commands: they pull
in the report and its charts, which ``trygg layers`` and the others should not wait for."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cli.base import cli, domain_errors, number, settings_of, store_of
from geo.formats import number_sv
from geo.gazetteer import read_gazetteer
from geo.geocode import events_to_feature_collection
from geo.layers import LAYERS
from services import roads as road_service
from sources.polisen import LIVE_FEED_URL


@cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing if the demo was loaded before.")
@click.pass_context
@domain_errors
def demo(ctx: click.Context, if_empty: bool) -> None:
    """Load the Timrå demo into the store (replacing its demo layers)."""
    from services import demo as demo_service

    store = store_of(ctx)
    when = demo_service.demo_loaded_at(store)
    if if_empty and when:
        click.echo(f"Timrådemon finns redan i {store.path} (laddad {when}).")
        return
    counts = demo_service.load_demo(store, settings_of(ctx).data_dir)
    click.echo(f"Timrådemon laddad i {store.path}:")
    for layer, n in counts.items():
        click.echo(f"  {LAYERS[layer].title_sv:<22} {number(n):>8}")


@contextmanager
def byte_progress(file: Path) -> Iterator[Callable[[int, int], None]]:
    """A progress bar in bytes read of ``file`` on standard error, drawn from the first report
    on (only a streamed import reports; on a terminal only, so logs and pipes stay clean)."""
    bar: Any = None
    done = 0

    def advance(read: int, size: int) -> None:
        nonlocal bar, done
        if bar is None:
            bar = click.progressbar(length=max(size, 1), label=f"Läser {file.name}",
                                    file=sys.stderr, show_eta=True).__enter__()
        bar.update(read - done)
        done = read

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


# Not a layer: survey figures per area (Polisens trygghetsmätning, NTU) have no geometry.
SURVEY_TABLE = "survey_figures"


@cli.command("import")
@click.argument("layer", type=click.Choice([*LAYERS, SURVEY_TABLE]))
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", default=None, help="The file's CRS if it declares none, e.g. EPSG:3006.")
@click.option("--provenance", type=click.Choice(["real", "derived", "illustrative", "simulated"]),
              default=None, help="Provenance of features that do not state one (default real).")
@click.option("--source", default=None, help="Source text (default: the file's name).")
@click.option("--replace", is_flag=True, help="Replace the layer's features.")
@click.option("--source-layer", default=None, help="Layer of a multi-layer GeoPackage.")
@click.option("--format", "file_type", type=click.Choice(["nvdb"]), default=None,
              help="nvdb: a Trafikverket NVDB delivery (Lastkajen: GeoPackage or zipped Shape "
                   "files) into risk_roads, with speed limits, road numbers and street names, "
                   "or its ATK speed cameras into speed_cameras, clipped to the municipal "
                   "boundary.")
@click.option("--population", type=click.Path(path_type=Path), default=None,
              help="population_areas: SCB's population per DeSO or RegSO (a CSV export of the "
                   "statistical database), joined by area code.")
@click.option("--survey", type=click.Choice(["trygghetsmatning", "ntu"]), default=None,
              help="survey_figures: the survey of a CSV that has no column naming it.")
@click.pass_context
@domain_errors
def import_(ctx: click.Context, layer: str, file: Path, crs: str | None,
            provenance: str | None, source: str | None, replace: bool,
            source_layer: str | None, file_type: str | None, population: Path | None,
            survey: str | None) -> None:
    """Import FILE (GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV, OSM) into LAYER.

    population_areas reads SCB's DeSO or RegSO GeoPackage (with --population CSV), clipped to
    the municipality; survey_figures reads a survey CSV (område;år;indikator;andel;ki_lag;
    ki_hog;antal_svar). All or nothing: on any problem nothing is written and the exit code
    is 1.
    """
    from services import imports

    if layer in ("population_areas", SURVEY_TABLE):
        _import_population(ctx, layer, file, crs=crs, source_layer=source_layer,
                           replace=replace, population=population, survey=survey,
                           provenance=provenance, source=source)
        return
    if population is not None or survey is not None:
        raise click.BadParameter("--population hör till population_areas och --survey till "
                                 "survey_figures", param_hint="--population/--survey")

    if file_type == "nvdb" and layer not in ("risk_roads", "speed_cameras"):
        raise click.BadParameter("en NVDB-leverans importeras till risk_roads eller "
                                 "speed_cameras", param_hint="--format")
    with byte_progress(file) as progress:
        options = imports.ImportOptions(
            crs=crs, file_type=file_type, source_layer=source_layer, provenance=provenance,
            source=source, replace=replace, progress=progress,
            max_bytes=int(settings_of(ctx).max_import_mb * 1_000_000))
        result = imports.import_layer_file(store_of(ctx), layer, file, options)
    verb = "ersatte lagret med" if result.replaced else "lade till"
    click.echo(f"{file.name}: {verb} {number(result.inserted)} objekt i {layer}"
               + (f", uppdaterade {number(result.updated)}" if result.updated else ""))


def _import_population(ctx: click.Context, layer: str, file: Path, *, crs: str | None,
                       source_layer: str | None, replace: bool, population: Path | None,
                       survey: str | None, provenance: str | None, source: str | None) -> None:
    """``trygg import population_areas`` and ``trygg import survey_figures``."""
    from geo.population_areas import AREA_KIND_SV
    from services import population as population_service

    max_bytes = int(settings_of(ctx).max_import_mb * 1_000_000)
    if layer == SURVEY_TABLE:
        done = population_service.import_survey_figures(
            store_of(ctx), file, survey=survey, provenance=provenance or "real", source=source,
            max_bytes=max_bytes)
        click.echo(f"{file.name}: {number(done.inserted)} nya siffror i survey_figures"
                   + (f", ersatte {number(done.replaced)}" if done.replaced else ""))
        return
    result = population_service.import_population_areas(
        store_of(ctx), file, population=population, source_layer=source_layer, crs=crs,
        replace=replace, max_bytes=max_bytes)
    total = result.inserted + result.updated
    click.echo(f"{file.name}: {number(total)} {AREA_KIND_SV[result.kind]}-områden i "
               f"population_areas ({number(result.inserted)} nya, {number(result.updated)} "
               f"uppdaterade), {number(result.with_population)} med folkmängd")


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
@click.option("--crs", default=None,
              help="Write .gpkg, .csv or .xlsx in this CRS: EPSG:4326, EPSG:3006 or a local "
                   "SWEREF 99 zone such as EPSG:3014 (GeoJSON and GPX are always WGS84).")
@click.pass_context
@domain_errors
def export(ctx: click.Context, layer: str, file: Path | None, all_layers: bool,
           csv_dialect: str, without_sensitive: bool, crs: str | None) -> None:
    """Export LAYER to FILE (.geojson, .gpkg, .csv, .xlsx or .gpx), or with --all every layer
    to one FILE (.gpkg or .xlsx)."""
    from services import exports

    if all_layers:
        if crs is not None:
            raise click.UsageError("--crs exports one layer: trygg export LAYER FILE --crs ...")
        if file is not None:
            raise click.UsageError("with --all give only FILE: trygg export --all ut.gpkg")
        counts = exports.export_all_layers(store_of(ctx), Path(layer),
                                           include_sensitive=not without_sensitive)
        click.echo(f"{len(counts)} lager: skrev {number(sum(counts.values()))} objekt till "
                   f"{Path(layer)}")
        return
    if file is None:
        raise click.UsageError("give LAYER and FILE (or --all FILE)")
    if layer not in LAYERS:
        raise click.BadParameter(f"{layer!r} is not one of {', '.join(LAYERS)}",
                                 param_hint="LAYER")
    n = exports.export_layer(store_of(ctx), layer, file, include_sensitive=not without_sensitive,
                             csv_dialect=csv_dialect, crs=crs)
    click.echo(f"{layer}: skrev {number(n)} objekt till {file}")


@cli.command("layers")
@click.pass_context
@domain_errors
def layers(ctx: click.Context) -> None:
    """List the layers and their feature counts."""
    for name, n in store_of(ctx).counts().items():
        click.echo(f"{name:<16} {LAYERS[name].title_sv:<22} {number(n):>8}")


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
    from services import imports

    result = imports.ingest_events(store_of(ctx), source, municipality=municipality)
    click.echo(f"{result.file}: {number(result.inserted)} nya händelser, "
               f"{number(result.updated)} uppdaterade")


@cli.group("roads")
def roads() -> None:
    """Risk roads: weights and categories from the police events."""


@roads.command("reweight")
@click.option("--near-m", type=click.FloatRange(min=0), default=road_service.NEAR_M,
              show_default=True, help="An event counts for a road within this distance.")
@click.option("--max-precision-m", type=click.FloatRange(min=0),
              default=road_service.MAX_PRECISION_M, show_default=True,
              help="Unnamed events count only if their place is known this well.")
@click.option("--count-checks", is_flag=True, help="Count the police's own traffic checks too.")
@click.option("--dry-run", is_flag=True, help="Show the new weights without saving them.")
@click.pass_context
@domain_errors
def roads_reweight(ctx: click.Context, near_m: float, max_precision_m: float,
                   count_checks: bool, dry_run: bool) -> None:
    """Set each risk road's weight (1 + its traffic events) and categories from the events in
    the store, with the rule the demo uses; one line per road, per km."""
    weights = road_service.reweight(store_of(ctx), near_m=near_m,
                                    max_precision_m=max_precision_m,
                                    count_checks=count_checks, dry_run=dry_run)
    for w in weights:
        ref = f" ({w.road_ref})" if w.road_ref else ""
        categories = ", ".join(w.risk_categories) or "inga kategorier"
        click.echo(f"{w.name}{ref}: riskvikt {number_sv(w.risk_weight)}, {number(w.events)} "
                   f"händelser ({number_sv(w.events_per_km, digits=1)} per km), {categories}"
                   + (" – ändrad" if w.changed else ""))
    changed = sum(w.changed for w in weights)
    click.echo(f"{number(changed)} av {number(len(weights))} vägar "
               + ("skulle ändras (inget sparat)." if dry_run else "ändrade."))


@events.command("poll")
@click.option("--municipality", default=None,
              help="Keep only this municipality's events (e.g. Timrå).")
@click.option("--rounds", type=click.IntRange(min=1), default=None,
              help="Stop after this many calls (default: poll until stopped).")
@click.option("--url", default=LIVE_FEED_URL, show_default=True, help="The API's address.")
@click.option("--state", "state_path", type=click.Path(path_type=Path), default=None,
              help="The poller's state file (default: next to the store).")
@click.pass_context
@domain_errors
def events_poll(ctx: click.Context, municipality: str | None, rounds: int | None, url: str,
                state_path: Path | None) -> None:
    """Poll the Police open API within its limits (10 s between calls, 60 an hour, 1,440 a
    day), idempotent by event id and resumable: each round's result is printed."""
    from services import event_polling

    store = store_of(ctx)
    beside = store.path.parent if store.path else Path("var")  # PostGIS: the working folder's var/
    state = state_path or beside / "events_poll.json"
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for r in event_polling.poll_events(store, state_path=state, municipality=municipality,
                                       rounds=rounds, url=url):
        if r.error:
            click.echo(f"Fel: {r.error}", err=True)
        else:
            click.echo(f"{number(r.served)} händelser hämtade, {number(r.kept)} i "
                       f"{municipality or 'hela landet'}: {number(r.inserted)} nya, "
                       f"{number(r.updated)} uppdaterade"
                       + (" (kan sakna händelser sedan förra anropet)" if r.maybe_missed else ""))


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
    from services import imports

    if gazetteer_path is None:
        gazetteer = store_of(ctx).read("gazetteer")
        if gazetteer.empty:
            gazetteer = read_gazetteer(settings_of(ctx).data_dir / "timra" / "gazetteer.json")
    else:
        gazetteer = read_gazetteer(gazetteer_path)
    placed = imports.geocoded_events(source, gazetteer, municipality=municipality)
    click.echo(json.dumps(events_to_feature_collection(placed), ensure_ascii=False))
