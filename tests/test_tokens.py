"""Tokens and sign-in limits: revoke, rotate and expiry (migration 0003), sessions of a revoked
account end, and failed sign-ins (login form and Bearer alike) are limited per peer address,
not reset by a success, and not dodged with a made-up X-Forwarded-For."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.app import create_app
from api.ratelimit import LoginLimiter
from store import Store
from store.accounts import add_user, revoke_user, rotate_token, user_for_token
from store.schema import users_table
from tests.conftest import SECRET, auth
from cli import cli
from trygg.settings import Settings


def _limited(settings: Settings, store: Store, per_minute: int = 3) -> TestClient:
    return TestClient(create_app(settings.model_copy(
        update={"login_attempts_per_minute": per_minute}), store=store))


def test_revoke_ends_token_and_sessions(client: TestClient, store: Store) -> None:
    token = add_user(store, "anna", "planerare", secret=SECRET)
    assert client.post("/logga-in", data={"token": token}, follow_redirects=False)\
        .status_code == 303
    assert client.get("/api/me").json()["name"] == "anna"  # the session cookie works
    revoke_user(store, "anna", secret=SECRET)
    assert client.get("/api/me").json()["name"] is None  # the session ended
    client.cookies.clear()
    assert client.get("/api/me", headers=auth(token)).status_code == 401


def test_rotate_replaces_the_token(store: Store) -> None:
    old = add_user(store, "bo", "admin", secret=SECRET)
    new = rotate_token(store, "bo", secret=SECRET)
    assert new != old
    assert user_for_token(store, old, secret=SECRET) is None
    assert user_for_token(store, new, secret=SECRET).name == "bo"  # type: ignore[union-attr]


def test_expired_token_is_refused(store: Store) -> None:
    token = add_user(store, "cai", "rad", secret=SECRET, expires_days=30)
    assert user_for_token(store, token, secret=SECRET) is not None
    past = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=1)).isoformat()
    with store.transaction() as conn:
        conn.execute(update(users_table).where(users_table.c.name == "cai")
                     .values(token_expires_at=past))
    assert user_for_token(store, token, secret=SECRET) is None


def test_cli_revoke_rotate_and_expiry(tmp_path: Path) -> None:
    runner = CliRunner(env={"TRYGG_SECRET": SECRET})
    db = ["--db", str(tmp_path / "t.sqlite")]
    added = runner.invoke(cli, [*db, "users", "add", "dag", "--role", "admin",
                                "--expires-days", "7"])
    assert added.exit_code == 0, added.output
    rotated = runner.invoke(cli, [*db, "users", "rotate", "dag"])
    assert rotated.exit_code == 0 and len(rotated.output.strip()) > 30
    store = Store.open(tmp_path / "t.sqlite")
    assert user_for_token(store, added.output.strip(), secret=SECRET) is None
    assert user_for_token(store, rotated.output.strip(), secret=SECRET) is not None
    revoked = runner.invoke(cli, [*db, "users", "revoke", "dag"])
    assert revoked.exit_code == 0 and "spärrad" in revoked.output
    assert user_for_token(store, rotated.output.strip(), secret=SECRET) is None
    store.close()
    missing = runner.invoke(cli, [*db, "users", "revoke", "nobody"])
    assert missing.exit_code == 1 and missing.output.startswith("Fel: kontot 'nobody'")
    assert "Traceback" not in missing.output


def test_wrong_bearer_tokens_are_limited_with_retry_after(settings: Settings,
                                                          store: Store) -> None:
    good = add_user(store, "eva", "planerare", secret=SECRET)
    with _limited(settings, store) as c:
        codes = [c.get("/api/me", headers=auth(f"wrong{i}")).status_code for i in range(5)]
        blocked = c.get("/api/me", headers=auth(good))  # the address waits, right token or not
    assert codes == [401, 401, 401, 429, 429]
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert set(blocked.json()) == {"error", "code", "details"}


def test_own_login_does_not_reset_the_count(settings: Settings, store: Store) -> None:
    own = add_user(store, "fia", "planerare", secret=SECRET)
    with _limited(settings, store) as c:
        codes = []
        for i in range(27):
            if i % 2:
                c.post("/logga-in", data={"token": own}, follow_redirects=False)
                c.cookies.clear()
            codes.append(c.post("/logga-in", data={"token": f"guess{i}"}).status_code)
    assert 429 in codes and codes[3:] == [429] * (len(codes) - 3)


def test_forwarded_for_does_not_give_a_fresh_count(settings: Settings, store: Store) -> None:
    with _limited(settings, store) as c:
        for i in range(3):
            c.post("/logga-in", data={"token": f"g{i}"})
        spoofed = [c.post("/logga-in", data={"token": "g"},
                          headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
                   for i in range(3)]
    assert spoofed == [429, 429, 429]


def test_serve_ignores_forwarded_for_unless_proxies_are_trusted() -> None:
    from cli.serve import proxy_options as _proxy_options

    assert _proxy_options(Settings()) == {"proxy_headers": False}
    trusted = _proxy_options(Settings(trusted_proxies="127.0.0.1, 10.0.0.2"))
    assert trusted == {"proxy_headers": True, "forwarded_allow_ips": ["127.0.0.1", "10.0.0.2"]}


def test_limiter_window_and_memory_bound() -> None:
    limiter = LoginLimiter(2, window_s=0.2, max_keys=5)
    limiter.failed("a")
    limiter.failed("a")
    assert limiter.blocked("a") and limiter.retry_after("a") >= 1
    limiter.succeeded("a")
    assert limiter.blocked("a")  # a success forgives nothing
    for i in range(100):
        limiter.failed(f"k{i}")
    assert len(limiter._failures) <= 5
    import time

    time.sleep(0.25)
    assert not limiter.blocked("k99")


def test_live_server_ignores_a_made_up_forwarded_for(settings: Settings, store: Store) -> None:
    """Over real HTTP with the uvicorn options ``trygg serve`` uses: the spoofed header does not
    change the address failures are counted under."""
    import threading
    import time

    import httpx2 as httpx
    import uvicorn

    from tests.conftest import _free_port
    from cli.serve import proxy_options as _proxy_options

    app = create_app(settings.model_copy(update={"login_attempts_per_minute": 2}), store=store)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           **_proxy_options(settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            codes = [c.get("/api/me", headers={**auth(f"w{i}"),
                                               "X-Forwarded-For": f"203.0.113.{i}"}).status_code
                     for i in range(4)]
    finally:
        server.should_exit = True
        thread.join(timeout=20)
    assert codes == [401, 401, 429, 429]
