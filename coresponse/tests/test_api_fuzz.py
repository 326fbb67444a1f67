"""The REST API fuzzed from its own OpenAPI document (schemathesis): for every operation,
generated requests, valid and not, over real HTTP to the live server with a dispatcher's and an
officer's bearer tokens, never get a server error, and every response matches the document.

The document is the committed docs/openapi.yaml, which a test keeps equal to the served one.
"""

from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coresponse.agencies.services import issue_token
from coresponse.web.tests.factories import build_county

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
schema = schemathesis.openapi.from_path(str(DOCUMENT))
EXAMPLES = 12  # per operation, each sent as both users: enough to find a crash, fast enough


@pytest.fixture
def api(live_server, transactional_db):
    """The live server's URL and one authenticated HTTP session per user. The sessions are
    closed after the test: a kept-alive connection holds a server thread, and with it that
    thread's database connection, until the test database is dropped."""
    w = build_county()
    sessions = {}
    for username in ("dispatcher", "officer"):
        token, _ = issue_token(w.users[username], hours=1)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        sessions[username] = session
    yield live_server.url, sessions
    for session in sessions.values():
        session.close()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_with_a_server_error(case, api):
    base, sessions = api
    for session in sessions.values():
        response = case.call(base_url=base, session=session)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
        # The answer is one the document describes: its status code, content type and body.
        case.validate_response(response, checks=CONFORMANCE)


CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
