"""``trygg coverage``: foot-patrol coverage of the zones and traffic checks on the risk roads."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import date
from typing import Any

import click

from cli.base import cli, domain_errors, figure, iso_date, settings_of, store_of
from services import coverage as service


@cli.group("coverage")
def coverage() -> None:
    """Täckning: fotpatrull i patrullområdena och trafikkontroller på riskvägarna."""


def _period_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--from and --to (local days, both included; neither: the default period) and --json."""
    func = click.option("--json", "as_json", is_flag=True, help="Skriv JSON (som API:t).")(func)
    func = click.option("--to", callback=iso_date, help="Sista dag (ÅÅÅÅ-MM-DD).")(func)
    return click.option("--from", "from_", callback=iso_date,
                        help="Första dag (ÅÅÅÅ-MM-DD).")(func)


def _show(report: Any, as_json: bool, table: Callable[[Any], None]) -> None:
    """``report`` (a dataclass) as JSON, or as the text ``table`` writes."""
    if as_json:
        click.echo(json.dumps(asdict(report), ensure_ascii=False))
    else:
        table(report)


def _header(first: str, *columns: tuple[str, int]) -> str:
    """A table's header: ``first`` over the names column, then each (name, width) right-aligned."""
    return f"{first:<26}" + "".join(f"{name:>{width}}" for name, width in columns)


@coverage.command("patrols")
@_period_options
@click.option("--baseline-from", callback=iso_date, help="Jämförelseperiodens första dag.")
@click.option("--baseline-to", callback=iso_date, help="Jämförelseperiodens sista dag.")
@click.option("--reach-m", type=float, default=service.DEFAULT_REACH_M, show_default=True,
              help="Räckvidd från spåret för gatutäckning, meter.")
@click.pass_context
@domain_errors
def coverage_patrols(ctx: click.Context, from_: date | None, to: date | None,
                     baseline_from: date | None, baseline_to: date | None, reach_m: float,
                     as_json: bool) -> None:
    """Fotpatrullens närvaro, besök, glapp och täckning per område (standard: de fyra senaste
    veckorna med patruller)."""
    _show(service.patrol_report(store_of(ctx), from_, to, baseline_from=baseline_from,
                                baseline_to=baseline_to, reach_m=reach_m,
                                max_ping_gap_min=settings_of(ctx).max_ping_gap_min),
          as_json, _patrol_table)


def _patrol_table(report: service.PatrolReport) -> None:
    click.echo(f"Fotpatrull {report.period_from} – {report.period_to} "
               f"({report.days} dagar, {report.tracks_in_period} pass, räckvidd "
               f"{figure(report.reach_m)} m)")
    click.echo(_header("Område", ("min", 8), ("min/v", 8), ("mål/v", 7), ("mål %", 7),
                       ("besök", 6), ("glapp h", 8), ("täckn %", 8), ("dos %", 7),
                       ("ändr %", 8)))
    for z in report.zones:
        base = z.baseline
        click.echo(f"{z.name[:25]:<26}{figure(z.minutes):>8}{figure(z.minutes_per_week):>8}"
                   f"{figure(z.target_minutes_per_week):>7}{figure(z.target_pct):>7}"
                   f"{z.visits:>6}{figure(z.longest_gap_h, 1):>8}"
                   f"{figure(z.coverage_pct, 1):>8}{figure(z.dosage.dosed_pct, 1):>7}"
                   f"{figure(base.change_pct, 1) if base else '':>8}")
    click.echo("min/v: närvaro per vecka; dos %: andel av aktiva timmar med högst 2 h mellan "
               "besök på minst 10 min; ändr %: mot jämförelseperioden.")


@coverage.command("checks")
@_period_options
@click.option("--radius-m", type=float, default=service.DEFAULT_RADIUS_M, show_default=True,
              help="Avstånd från vägen som räknas, meter.")
@click.pass_context
@domain_errors
def coverage_checks(ctx: click.Context, from_: date | None, to: date | None, radius_m: float,
                    as_json: bool) -> None:
    """Trafikkontroller per riskväg och riskviktad täckning (standard: senaste 365 dagarna)."""
    _show(service.check_report(store_of(ctx), from_, to, radius_m=radius_m), as_json,
          _check_table)


def _check_table(report: service.CheckReport) -> None:
    click.echo(f"Trafikkontroller {report.period_from} – {report.period_to}: "
               f"{report.checks_performed} genomförda, {report.checks_at_risk_places} vid "
               f"riskvägar, {report.checks_elsewhere} på annan plats, "
               f"{report.checks_place_unknown} med okänd plats (räknas inte)")
    click.echo(_header("Väg", ("vikt", 6), ("kontr", 6), ("senast", 12), ("dagar", 7),
                       ("täckt %", 8), ("kontr.", 7), ("utand.", 7), ("rattf.", 7), ("hast.", 7)))
    for r in report.roads:
        res = r.results
        cells = "".join(f"{res[k].total}{'?' if res[k].unknown else '':<1}".rjust(7)
                        for k in ("checked", "breath_tests", "suspected_dui", "speeding"))
        click.echo(f"{r.name[:25]:<26}{figure(r.risk_weight):>6}{r.checks:>6}"
                   f"{r.last_check or '–':>12}{figure(r.days_since_last):>7}"
                   f"{figure(r.covered_pct, 1):>8}{cells}")
    click.echo(f"Riskviktad väglängd inom {figure(report.radius_m)} m från en kontroll: "
               f"{figure(report.weighted_covered_pct, 1)} %")
    for c in report.categories:
        click.echo(f"  {c.category:<12} {c.roads} vägar, {figure(c.covered_pct, 1)} %")
    click.echo("?: några kontroller rapporterade inte värdet (summan gäller de kända).")
