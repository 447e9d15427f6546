"""`trygg kommun` and `trygg polisomrade`: set a store up for a municipality or a police area."""

from __future__ import annotations

from pathlib import Path

import click

from cli.base import cli, domain_errors, store_of
from services.municipality import InitResult, init_area, init_police_area


def _promise_folder(ctx: click.Context, folder: Path | None) -> Path:
    store = store_of(ctx)
    beside = store.path.parent if store.path else Path("var")
    return folder or beside / "kommuner"


def _echo(done: list[InitResult]) -> None:
    for d in done:
        m = d.municipality
        click.echo(f"{m.name} kommun ({m.kommunkod}), {m.county}: gränsen är inläst; lokal zon "
                   f"{m.local_zone_name} ({m.local_crs}); kartans mitt {m.centre_lat:.4f} N, "
                   f"{m.centre_lon:.4f} O".replace(".", ","))
        state = "skapad – fyll i åtagandena" if d.promise_written else "fanns redan, orörd"
        click.echo(f"Medborgarlöftet: {d.promise_file} ({state}).")


_FOLDER = click.option("--folder", type=click.Path(path_type=Path), default=None,
                       help="Where the promise files to fill in go (default: beside the store).")


@cli.group("kommun")
def kommun() -> None:
    """The municipality (or municipalities) the store serves."""


@kommun.command("init")
@click.argument("kommunkoder", nargs=-1, required=True)
@_FOLDER
@click.pass_context
@domain_errors
def kommun_init(ctx: click.Context, kommunkoder: tuple[str, ...], folder: Path | None) -> None:
    """Set the store up for KOMMUNKOD (e.g. 2281), or several for a police area (2281 2262
    2260; the first is the default): boundaries from the shipped 290 (CC0), name, county,
    local SWEREF 99 zone and map extent, and a promise file per municipality to fill in."""
    codes = [c for text in kommunkoder for c in text.replace(",", " ").split()]
    _echo(init_area(store_of(ctx), codes, folder=_promise_folder(ctx, folder)))


@cli.group("polisomrade")
def polisomrade() -> None:
    """The police area (lokalpolisområde) the store serves."""


@polisomrade.command("init")
@click.argument("name")
@_FOLDER
@click.pass_context
@domain_errors
def polisomrade_init(ctx: click.Context, name: str, folder: Path | None) -> None:
    """Set the store up for the lokalpolisområde NAME (e.g. Medelpad) of the shipped table
    (data/sweden/police_areas.csv): every municipality it covers, each with its promise file."""
    area, done = init_police_area(store_of(ctx), name, folder=_promise_folder(ctx, folder))
    click.echo(f"Lokalpolisområde {area}: {', '.join(d.municipality.name for d in done)}.")
    _echo(done)
