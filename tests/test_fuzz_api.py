"""API fuzzing: schemathesis generates requests from the app's own OpenAPI schema for every
operation, as every role and anonymously, against a copy of the demo store. No response may be a
5xx, and every response must match the schema (status, content type, body).

Examples per operation and role: TRYGG_FUZZ_EXAMPLES (default 12)."""

from __future__ import annotations

import os
import sqlite3
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
from store import Store
from store.accounts import ROLES, add_user
from tests.conftest import SECRET
from trygg.settings import Settings

EXAMPLES = int(os.environ.get("TRYGG_FUZZ_EXAMPLES", "12"))
# Schema-valid is not the same as valid: a well-formed GeoJSON body may still hold a feature
# outside Sweden, so "positive data acceptance" is not asked; everything about responses is.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@pytest.fixture(scope="module")
def fuzz_app(demo_template: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    src, dst = sqlite3.connect(demo_template), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    store = Store.open(db)
    tokens = {role: add_user(store, f"fuzz-{role}", role, secret=SECRET) for role in ROLES}
    app = create_app(Settings(db=db, demo=False, secret=SECRET), store=store)
    return app, tokens


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonym"])
def test_every_operation_as_every_role(fuzz_app, role: str | None) -> None:
    app, tokens = fuzz_app
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                  suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.method.upper()} {operation.path} as "
                                 f"{role or 'anonymous'}: {exc}") from exc
