"""``trygg serve``: the web app under uvicorn, built in each worker from the app factory."""

from __future__ import annotations

import os
from typing import Any

import click
import uvicorn

from cli.base import cli, domain_errors, secret_of, settings_of
from store import Store
from trygg.settings import Settings

APP_FACTORY = "api.app:create_app"  # uvicorn imports it: the CLI never imports the API


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy options: X-Forwarded-For is believed only from TRYGG_TRUSTED_PROXIES
    (uvicorn's own default trusts 127.0.0.1, so a local client could pick its address)."""
    proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": proxies}


@cli.command("serve")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1,
              help="Worker processes (each with its own cache); about one per core.")
@click.option("--access-log/--no-access-log", default=True, help="Log every request.")
@click.pass_context
@domain_errors
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int,
          access_log: bool) -> None:
    """Serve the app (http://127.0.0.1:8000)."""
    settings = settings_of(ctx)
    secret_of(ctx)
    os.environ["TRYGG_DB"] = str(settings.db)  # the factory reads its settings from the environment
    Store.open(settings.db).close()  # create or check the store once, before the workers start
    uvicorn.run(APP_FACTORY, factory=True, workers=workers, host=host or settings.host,
                port=port or settings.port, log_level="info", access_log=access_log,
                **proxy_options(settings))
