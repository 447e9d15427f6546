"""``trygg users``: accounts and their API tokens."""

from __future__ import annotations

import click

from cli.base import cli, domain_errors, secret_of, store_of
from services.access import ROLES
from store.accounts import add_user, list_users, revoke_user, rotate_token


@cli.group("users")
def users() -> None:
    """Accounts and their API tokens."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The token stops working after this many days (default: never).")
@click.option("--org", "organisation", default=None,
              help="A partner reporter's (rapportor) organisation; that role needs it.")
@click.option("--kommun", "kommuner", default=None, metavar="KOD,KOD",
              help="Limit the account to these municipalities' records (kommunkoder, e.g. "
                   "2262,2281; default: all of the store's).")
@click.pass_context
@domain_errors
def users_add(ctx: click.Context, name: str, role: str, expires_days: float | None,
              organisation: str | None, kommuner: str | None) -> None:
    """Create an account; prints its token once (use it as 'Authorization: Bearer TOKEN')."""
    if role == "rapportor" and not (organisation or "").strip():
        raise click.UsageError("--org: a rapportor reports for an organisation; name it")
    codes = None if kommuner is None else kommuner.replace(" ", ",").split(",")
    click.echo(add_user(store_of(ctx), name, role, secret=secret_of(ctx),
                        expires_days=expires_days, organisation=organisation, kommuner=codes))


@users.command("rotate")
@click.argument("name")
@click.option("--expires-days", type=click.FloatRange(min=0, min_open=True), default=None,
              help="The new token stops working after this many days (default: never).")
@click.pass_context
@domain_errors
def users_rotate(ctx: click.Context, name: str, expires_days: float | None) -> None:
    """Give NAME a new token (printed once); the old one and NAME's sessions stop at once."""
    click.echo(rotate_token(store_of(ctx), name, secret=secret_of(ctx),
                            expires_days=expires_days))


@users.command("revoke")
@click.argument("name")
@click.pass_context
@domain_errors
def users_revoke(ctx: click.Context, name: str) -> None:
    """Revoke NAME's token and end its sessions ('users rotate' gives it a new one)."""
    revoke_user(store_of(ctx), name, secret=secret_of(ctx))
    click.echo(f"{name}: nyckeln är spärrad och inloggningarna avslutade")


@users.command("list")
@click.pass_context
@domain_errors
def users_list(ctx: click.Context) -> None:
    """List accounts and roles."""
    for user in list_users(store_of(ctx)):
        limited = f"  kommuner {','.join(user.kommuner)}" if user.kommuner else ""
        click.echo(f"{user.id:>4}  {user.name:<24} {user.role}{limited}")
