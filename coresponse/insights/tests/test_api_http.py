"""The metrics API over real HTTP against the live server, with a bearer token: the same JSON
as `coresponse metrics --format json`, 403 for a role without metrics, 400 for a bad filter."""

import http.client
import json
from io import StringIO
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command

from coresponse.agencies import services
from coresponse.agencies.models import Membership, Role
from coresponse.insights import catalogue
from coresponse.insights.tests import data as testdata

pytestmark = pytest.mark.django_db(transaction=True)


def get(live_server, path, token=None, **params):
    parts = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("GET", f"{path}?{urlencode(params)}", headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_metrics_api_equals_the_command_line(live_server):
    d = testdata.build()
    manager = d.users["t-manager"]
    token = services.issue_token(manager)[0]
    status, body = get(
        live_server, "/api/v1/metrics/", token, **{"from": "2025-03-01", "to": "2025-03-31"}
    )
    assert status == 200
    out = StringIO()
    call_command("metrics", "--from", "2025-03-01", "--to", "2025-03-31", stdout=out)
    assert body == json.loads(out.getvalue())
    assert list(body["metrics"]) == list(catalogue.KEYS)
    assert body["metrics"]["arrest_avoided_rate"] == {
        "value": 0.8,
        "numerator": 4,
        "denominator": 5,
    }

    # Without `to`, the period runs to the data's last day (the newest call, April 1).
    status, body = get(
        live_server, "/api/v1/metrics/", token, **{"from": "2025-03-01", "program": "t-p2"}
    )
    assert status == 200 and body["period"] == {"from": "2025-03-01", "to": "2025-04-01"}
    assert body["metrics"]["responses"]["value"] == 3  # e4, e5 and e7 of April 1

    status, body = get(live_server, "/api/v1/metrics/", token, **{"from": "March"})
    assert status == 400 and "from" in body

    status, body = get(live_server, "/api/v1/metrics/catalogue/", token)
    assert status == 200 and [d["key"] for d in body] == list(catalogue.KEYS)


def test_metrics_api_refuses_other_roles_and_strangers(live_server):
    d = testdata.build()
    officer = d.users["t-officer"]
    token = services.issue_token(officer)[0]
    assert get(live_server, "/api/v1/metrics/", token)[0] == 403
    assert get(live_server, "/api/v1/metrics/")[0] == 401
    Membership.objects.create(user=officer, agency=d.agencies["pd"], role=Role.SUPERVISOR)
    assert get(live_server, "/api/v1/metrics/", token)[0] == 200
