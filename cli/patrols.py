"""``trygg patrols``: maintenance of the patrol tracks (retention of raw GPS pings)."""

from __future__ import annotations

import click

from cli.base import cli, domain_errors, settings_of, store_of
from geo.coverage_options import DEFAULT_REACH_M
from geo.formats import number_sv
from services import retention


@cli.group("patrols")
def patrols() -> None:
    """Patrullspår: gallring av gamla GPS-punkter."""


@patrols.command("reduce")
@click.option("--older-than-days", type=click.FloatRange(min=0), default=None,
              help="Patrols whose last ping is older than this (default: "
                   "$TRYGG_PING_RETENTION_DAYS).")
@click.option("--reach-m", type=click.FloatRange(min=0, min_open=True, max=1000),
              default=DEFAULT_REACH_M, show_default=True,
              help="Coverage figures stay exact for reaches up to this.")
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.pass_context
@domain_errors
def reduce(ctx: click.Context, older_than_days: float | None, reach_m: float,
           dry_run: bool) -> None:
    """Gallra gamla patrullspår till de punkter som zonernas täckningssiffror behöver."""
    days = older_than_days if older_than_days is not None else \
        settings_of(ctx).ping_retention_days
    if days is None:
        raise click.UsageError("--older-than-days: say how old (or set "
                               "TRYGG_PING_RETENTION_DAYS)")
    done = retention.reduce_patrols(store_of(ctx), older_than_days=days, reach_m=reach_m,
                                    dry_run=dry_run)
    verb = "skulle gallras" if dry_run else "gallrade"
    click.echo(f"{number_sv(done.reduced)} av {number_sv(done.old_tracks)} patrullspår äldre än "
               f"{days:g} dagar (före {done.cutoff}) {verb}: {number_sv(done.pings_before)} "
               f"GPS-punkter blev {number_sv(done.pings_after)}; punkter inom "
               f"{done.keep_within_m:g} m från en patrullzon behålls, så zonernas "
               f"täckningssiffror är oförändrade.")
    if done.left_untimed:
        click.echo(f"{number_sv(done.left_untimed)} spår utan läsbara tider i tidsordning "
                   "lämnades orörda.")
