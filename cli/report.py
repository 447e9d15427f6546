"""``trygg report``: the follow-up report of the medborgarlöfte for the council's meeting."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from cli.base import cli, domain_errors, settings_of, store_of
from geo.report import report_figures
from services import report as service


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
def report(ctx: click.Context, first: datetime, last: datetime, out: Path | None, keep: bool,
           as_json: bool) -> None:
    """The follow-up report of the medborgarlöfte for the council's meeting."""
    if out is not None and out.suffix.lower() not in (".html", ".pdf"):
        raise click.BadParameter("the file must end in .html or .pdf", param_hint="--out")
    store = store_of(ctx)
    settings = settings_of(ctx)
    made = service.make_report(store, service.promise(store, settings), first=first.date(),
                               last=last.date(), max_ping_gap_min=settings.max_ping_gap_min,
                               compare=service.comparison_area(store, settings))
    if out is not None:
        out.write_bytes(service.report_file(store, made, out.suffix.lower().lstrip(".")))
    kept_id = service.keep_report(store, made) if keep else None
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
    if kept_id is not None:
        click.echo(f"Rapporten är sparad (nummer {kept_id}).")
