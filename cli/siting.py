"""``trygg siting``: suggested traffic-check sites, a randomised weekly plan, and planning a
check at a place (snapped to the nearest risk road)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
import pandas as pd

from cli.base import cli, domain_errors, store_of
from geo.layers import CHECK_KINDS, RISK_CATEGORIES
from geo.periods import LOCAL_TZ
from services import siting as service
from services.access import Viewer, refusal
from store.accounts import user_by_name


@cli.group("siting")
def siting() -> None:
    """Traffic-check siting: suggested sites and a randomised weekly plan."""


def _siting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options shared by ``siting suggest`` and ``siting schedule``."""
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
    _, doc = service.suggest(store_of(ctx), fixed=_fixed_points(fixed),
                             categories=list(categories), **options)
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
    plan = service.schedule(store_of(ctx), week=week, seed=seed, checks=checks,
                            block_h=int(block_h), max_per_site=max_per_site,
                            available_hours=available_hours, fixed=_fixed_points(fixed),
                            categories=list(categories), **options)
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


@siting.command("plan")
@click.option("--as", "account", required=True, help="The planner's account (planerare, admin).")
@click.option("--at", "lonlat", required=True, metavar="LON,LAT",
              help="The place (WGS84); moved to the nearest risk road.")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
              help="Local start time (Europe/Stockholm), e.g. 2024-03-08T22:00.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True, max=24), default=2.0,
              show_default=True, help="Length of the check, hours.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(CHECK_KINDS)),
              help="Kind of check (repeatable).")
@click.option("--place", default="", help="The place's name (default: the road's).")
@click.option("--candidate", "candidate_id", type=int, default=None,
              help="The suggested candidate site it follows (its id).")
@click.pass_context
@domain_errors
def siting_plan(ctx: click.Context, account: str, lonlat: str, start: datetime, hours: float,
                kinds: tuple[str, ...], place: str, candidate_id: int | None) -> None:
    """Plan a traffic check (status planerad) at a place on a risk road."""
    store = store_of(ctx)
    user = user_by_name(store, account)
    if user is None:
        raise click.BadParameter(f"no account {account!r}", param_hint="--as")
    refused = refusal(Viewer(user.role, name=user.name), "siting.save")
    if refused is not None:
        raise click.ClickException(refused.message)
    (lon, lat), = _fixed_points((lonlat,))
    begins = pd.Timestamp(start).tz_localize(LOCAL_TZ)
    plan = service.CheckPlan(lon=lon, lat=lat, start=begins,
                             end=begins + pd.Timedelta(hours=hours), kinds=kinds, place=place,
                             candidate_id=candidate_id)
    fid = service.plan_check(store, plan, actor=user)
    click.echo(f"Kontroll planerad (id {fid}).")
