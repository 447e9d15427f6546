"""The ``trygg`` command group and what its commands share: the settings, the store, one-line
errors and Swedish number formatting. A command module adds its commands to ``cli``."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from geo.errors import TryggError
from store import Store
from store.faults import fault_message
from trygg.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    """The settings: the environment's, with the group's options over them."""
    try:
        return Settings(**ctx.obj)
    except ValidationError as exc:
        raise click.ClickException("; ".join(e["msg"] for e in exc.errors())) from None


def store_of(ctx: click.Context) -> Store:
    settings = settings_of(ctx)
    return Store.open(settings.db, audit_retention_days=settings.audit_retention_days)


def secret_of(ctx: click.Context) -> str:
    try:
        return settings_of(ctx).checked_secret()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


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
            message = fault_message(exc)
            if message is None:
                raise
            click.echo(f"Fel: {message}", err=True)
            sys.exit(1)

    return wrapper


def number(n: int) -> str:
    """A count with a no-break space between thousands (Swedish)."""
    return f"{n:,}".replace(",", "\u00a0")


def figure(value: Any, digits: int = 0) -> str:
    """A figure with ``digits`` decimals and Swedish thousands, or "–" for none."""
    return "–" if value is None else f"{value:,.{digits}f}".replace(",", "\u00a0")


def iso_date(_ctx: click.Context | None, _param: click.Parameter | None,
             value: str | None) -> date | None:
    """An option's ``ÅÅÅÅ-MM-DD`` text as a date (click callback)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} är inte ett datum (ÅÅÅÅ-MM-DD)") from None


# Where each command lives: a command's module is imported only when the command runs (or when
# ``--help`` lists them), so ``trygg layers`` does not pay for the report's or the map's imports.
COMMAND_HOMES: dict[str, str] = {
    "audit": "cli.db", "coverage": "cli.coverage", "db": "cli.db", "demo": "cli.data",
    "events": "cli.data", "export": "cli.data", "gazetteer": "cli.gazetteer",
    "import": "cli.data", "kommun": "cli.kommun",
    "layers": "cli.data", "patrols": "cli.patrols", "polisomrade": "cli.kommun",
    "report": "cli.report",
    "restore": "cli.db", "roads": "cli.data",
    "serve": "cli.serve", "siting": "cli.siting", "users": "cli.users",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from ``COMMAND_HOMES`` when first asked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_HOMES:
            importlib.import_module(COMMAND_HOMES[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_HOMES))


@click.group(cls=LazyGroup)
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite store file (default: $TRYGG_DB or var/trygg.sqlite).")
@click.option("-v", "--verbose", is_flag=True, help="Log what happens.")
@click.pass_context
def cli(ctx: click.Context, db: Path | None, verbose: bool) -> None:
    """Trygg: kartor och uppföljning för medborgarlöftet."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"db": db} if db else {}
