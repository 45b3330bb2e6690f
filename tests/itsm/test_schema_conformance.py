"""The published schema (docs/openapi.yaml) against the running API: schemathesis generates
requests from it (bounded: MAX_EXAMPLES per operation) and checks that no answer is a server
error and that every answer to valid input conforms to the schema (status code, content type,
body); input the schema refuses must get no server error either.

One test over every operation, on the demo data (loaded once), with each `{id}` set to a row
that exists (else nearly every answer would be a 404 and the bodies would go unchecked). It
runs the real WSGI application (Django's handler, the middleware, the error handler) with the
bearer token of an administrator who also works incidents, in the test's transaction. Drift
between the schema and the answers (a nullable relation not marked nullable, a plain list
documented as paginated, a 200 documented as 201) fails here, and so does any 500."""

from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from itsm import services
from itsm.choices import Role
from tests.factories import UserFactory

SCHEMA = schemathesis.openapi.from_path(Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml")
MAX_EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]


@contextmanager
def on_the_tests_connection():
    """Django's WSGI handler on the test's connection: like the test client, a request must not
    close the connection when it ends (the test's transaction lives on it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def existing_ids(actor) -> dict[str, int]:
    """Path prefix -> the id of a row there, read through the API itself (its first list page)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(actor)
    ids = {}
    for path in SCHEMA.raw_schema["paths"]:
        if not path.endswith("{id}/"):
            continue
        collection = path[: -len("{id}/")]
        answer = client.get(collection)
        if answer.status_code == 200 and answer.json().get("results"):
            ids[collection] = answer.json()["results"][0]["id"]
    return ids


@pytest.mark.parametrize(("mode", "checks"), [
    (GenerationMode.POSITIVE, CHECKS),
    # Input the schema refuses (wrong types, missing fields, odd paths and headers): a 4xx, never a 500.
    (GenerationMode.NEGATIVE, [not_a_server_error]),
], ids=["valid-input", "invalid-input"])
def test_every_operation_conforms_to_the_schema(mode, checks):
    wsgi_app = WSGIHandler()
    call_command("demo_data", incidents=3, force=True, verbosity=0)
    user = UserFactory(username="schema-admin", roles=[Role.ADMINISTRATOR, Role.AGENT, Role.TEAM_LEAD])
    _, secret = services.token_create(actor=user, user=user, name="schemathesis", days=1, read_only=False)
    headers = {"Authorization": f"Bearer {secret}"}
    ids = existing_ids(user)
    failures = []
    for result in SCHEMA.get_all_operations():
        operation = result.ok()
        collection = max((c for c in ids if operation.path.startswith(c)), key=len, default=None)
        try:
            exercise(operation, wsgi_app, headers, ids.get(collection), mode, checks)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  every operation's, together
            failures.append(f"{operation.label}: {str(exc)[:3000]}")
    assert not failures, "\n\n".join(failures)


def exercise(operation, app, headers, row_id, mode, checks):
    """MAX_EXAMPLES requests generated for `operation` in `mode` (its `{id}` set to `row_id`),
    each answer validated by `checks`."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        if "id" in (case.path_parameters or {}) and row_id is not None:
            case.path_parameters["id"] = row_id
        with on_the_tests_connection():
            response = case.call(app=app, headers=headers)
        case.validate_response(response, checks=checks)

    run()
