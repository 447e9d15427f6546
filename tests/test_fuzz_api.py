"""API fuzzing: schemathesis generates requests from the app's own OpenAPI schema for every
operation, as every role and anonymously, against a copy of the demo store. No response may be a
5xx, and every response must match the schema (status, content type, body).

Examples per operation and role: TRYGG_FUZZ_EXAMPLES (default 12). A signed-in role sends its own
token, and with a Bearer token the app reads no session cookie (``api.deps.current_user``): an
operation whose only inputs are those credentials then has one possible request, sent once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.deps import SESSION_COOKIE
from store.accounts import ROLES, add_user
from tests.conftest import SECRET, copy_store
from trygg.settings import Settings

EXAMPLES = int(os.environ.get("TRYGG_FUZZ_EXAMPLES", "12"))
# Schema-valid is not the same as valid: a well-formed GeoJSON body may still hold a feature
# outside Sweden, so "positive data acceptance" is not asked; everything about responses is.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# schemathesis cancels a call after 10 s by default; siting alone may take its solver's 20 s limit,
# and a busy 2-core machine is slower still: the fuzzer asks for answers, not speed.
TIMEOUT_S = 600


def _only_credentials(operation) -> bool:
    """The operation takes nothing but the Authorization header and the session cookie."""
    return (not (operation.path_parameters or operation.query or operation.body)
            and {p.name.lower() for p in operation.headers} <= {"authorization"}
            and {p.name for p in operation.cookies} <= {SESSION_COOKIE})


@pytest.fixture(scope="module")
def fuzz_operations(demo_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """The app's operations over a demo copy, read from its schema once for all roles (about
    2 s), and a token per role; the credentials go with each call."""
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    store = copy_store(demo_template, db)
    tokens = {role: add_user(store, f"fuzz-{role}", role, secret=SECRET) for role in ROLES}
    app = create_app(Settings(db=db, demo=False, secret=SECRET), store=store)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return operations, tokens


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonym"])
def test_every_operation_as_every_role(fuzz_operations, role: str | None) -> None:
    operations, tokens = fuzz_operations
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    assert len(operations) >= 8
    for operation in operations:
        examples = 1 if role and _only_credentials(operation) else EXAMPLES

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS, timeout=TIMEOUT_S)

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path} as "
                                 f"{role or 'anonymous'}: {exc}") from exc
