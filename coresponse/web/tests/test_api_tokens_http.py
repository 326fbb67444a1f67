"""Personal API tokens over real HTTP against the live server, as a CAD bridge would use them:
`coresponse token` prints one, `Authorization: Bearer` carries it; an expired, revoked or
unknown token gets 401 like no token at all."""

import io
import json
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from coresponse.agencies.models import ApiToken
from coresponse.web.tests.factories import build_county

pytestmark = pytest.mark.django_db(transaction=True)


def get(url, authorization=None):
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if authorization:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"{}")


def issue(username, *args) -> str:
    out = io.StringIO()
    call_command("token", username, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_a_token_from_the_command_reads_the_api_until_it_expires(live_server):
    build_county()
    calls = f"{live_server.url}/api/v1/calls/"
    token = issue("dispatcher", "--hours", "2")
    status, _, data = get(calls, f"Bearer {token}")
    assert status == 200 and data["count"] >= 1
    assert ApiToken.objects.get().last_used_at is not None

    # Three hours later.
    ApiToken.objects.update(
        created_at=timezone.now() - timedelta(hours=3),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    status, headers, data = get(calls, f"Bearer {token}")
    assert status == 401 and data["detail"] == "Token expired."
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_revoked_unknown_and_malformed_tokens_are_refused(live_server):
    build_county()
    calls = f"{live_server.url}/api/v1/calls/"
    token = issue("officer")
    assert get(calls, f"Bearer {token}")[0] == 200
    call_command("token", "officer", "--revoke-all", stdout=io.StringIO())
    status, _, data = get(calls, f"Bearer {token}")
    assert status == 401 and data["detail"] == "Token revoked."
    for header in (
        f"Bearer {token[:-1]}x",  # one character off
        "Bearer crt_" + "A" * 43,
        f"Bearer {token} extra",
        "Bearer",
        f"Token {token}",  # the old scheme is gone
        None,
    ):
        status, headers, _ = get(calls, header)
        assert status == 401, header
        assert headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_openapi_document_declares_the_bearer_scheme(live_server):
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json", timeout=30) as r:
        schema = json.loads(r.read())
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert {"bearerAuth": []} in schema["paths"]["/api/v1/calls/"]["get"]["security"]
    assert "tokenAuth" not in schema["components"]["securitySchemes"]
