"""``trygg gazetteer``: the store's gazetteer of street and place names, which the police
events are placed by."""

from __future__ import annotations

from pathlib import Path

import click

from cli.base import cli, domain_errors, number, store_of


@cli.group("gazetteer")
def gazetteer() -> None:
    """Ortnamn och gatunamn som händelserna placeras efter."""


@gazetteer.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", "source", type=click.Choice(["osm", "nvdb", "ortnamn"]),
              required=True,
              help="osm: an OpenStreetMap extract (.osm.pbf/.osm: named streets and place=* "
                   "points); nvdb: a Lastkajen NVDB delivery (its street-name layer); "
                   "ortnamn: Lantmäteriet's GSD-Ortnamn GeoPackage.")
@click.option("--kommunkod", default=None,
              help="GSD-Ortnamn: keep the names of this municipality (default: all within "
                   "the store's boundary).")
@click.pass_context
@domain_errors
def import_(ctx: click.Context, file: Path, source: str, kommunkod: str | None) -> None:
    """Merge FILE's names into the store's gazetteer, clipped to the municipal boundary; the
    names already there stay as the fallback. All or nothing."""
    from services.gazetteer import import_gazetteer

    result = import_gazetteer(store_of(ctx), file, source=source, kommunkod=kommunkod)
    click.echo(f"{result.file}: läste {number(result.entries_read)} namn; ortnamnslistan har nu "
               f"{number(result.entries_after)} (förut {number(result.entries_before)})")
