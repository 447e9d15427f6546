"""`trygg kommun`: set a store up for a municipality."""

from __future__ import annotations

from pathlib import Path

import click

from cli.base import cli, domain_errors, store_of
from services.municipality import init_municipality


@cli.group("kommun")
def kommun() -> None:
    """The municipality the store serves."""


@kommun.command("init")
@click.argument("kommunkod")
@click.option("--folder", type=click.Path(path_type=Path), default=None,
              help="Where the promise file to fill in goes (default: beside the store).")
@click.pass_context
@domain_errors
def kommun_init(ctx: click.Context, kommunkod: str, folder: Path | None) -> None:
    """Set the store up for KOMMUNKOD (e.g. 2281): its boundary from the shipped 290 (CC0),
    name, county, local SWEREF 99 zone and map extent, and a promise file to fill in."""
    store = store_of(ctx)
    beside = store.path.parent if store.path else Path("var")
    done = init_municipality(store, kommunkod, folder=folder or beside / "kommuner")
    m = done.municipality
    click.echo(f"{m.name} kommun ({m.kommunkod}), {m.county}: gränsen är inläst; lokal zon "
               f"{m.local_zone_name} ({m.local_crs}); kartans mitt {m.centre_lat:.4f} N, "
               f"{m.centre_lon:.4f} O".replace(".", ","))
    state = "skapad – fyll i åtagandena" if done.promise_written else "fanns redan, orörd"
    click.echo(f"Medborgarlöftet: {done.promise_file} ({state}).")
