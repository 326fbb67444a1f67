"""The calls API over real HTTP against the live server: what a CAD system would do.

Create, retry with the same Idempotency-Key (one call, the identical response), the same key
with another body (422), validation errors by field, update, 404 for a call the caller may not
see, 401 and 403, token and session authentication.
"""

import http.client
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.db import connection

from coresponse.agencies import services
from coresponse.agencies.models import IdempotencyKey
from coresponse.dispatch.models import Call
from coresponse.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

CALL = {
    "source": "911",
    "call_type": "Welfare check",
    "priority": 2,
    "address": "77 Birch Rd",
    "narrative": "Neighbour says he has not eaten in days. No weapon.",
    "caller_name": "Ann Alder",
    "caller_phone": "+1 (303) 555-0142",
    "received_at": "2026-10-31T16:05:00-06:00",
    "program": "ride",
}


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


class Api:
    """A bare HTTP client: nothing of Django's test client between the request and the app."""

    def __init__(self, base_url, *, token=None, cookie=None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.token, self.cookie = token, cookie

    def __call__(self, method, path, body=None, headers=None, raw=None) -> Reply:
        sent = {"Accept": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cookie:
            sent["Cookie"] = self.cookie
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        if data is not None:
            sent["Content-Type"] = "application/json"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()


def api_for(live_server, user=None, **kwargs):
    token = services.issue_token(user)[0] if user is not None else None
    return Api(live_server.url, token=token, **kwargs)


def test_create_and_retry_with_the_same_key(live_server, county):
    api = api_for(live_server, county["users"]["dispatcher"])
    first = api("POST", "/api/v1/calls/", CALL, {"Idempotency-Key": "cad-4711"})
    assert first.status == 201, first.body
    call = first.json
    assert call["external_id"] == "C-20261031-0001"
    assert call["caller_phone"] == "3035550142" and call["caller_name"] == "Ann Alder"
    assert call["program"] == "ride" and call["frequent_caller"] is False
    triage = call["triage"]
    assert triage["recommendation"] and triage["explanation"]
    assert isinstance(triage["fired"], list)
    assert {"protocol", "protocol_name", "protocol_version", "triaged_at"} <= set(triage)
    assert first.headers["Location"].endswith(f"/api/v1/calls/{call['id']}/")
    assert first.headers["Idempotent-Replayed"] == "false"

    # The client never saw the answer and sends the same request again (keys reordered).
    retry = api(
        "POST", "/api/v1/calls/", dict(reversed(CALL.items())), {"Idempotency-Key": "cad-4711"}
    )
    assert retry.status == 201
    assert retry.body == first.body
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert Call.objects.count() == 4  # the three of the fixture and this one
    assert IdempotencyKey.objects.get().status_code == 201
    assert AuditEvent.objects.filter(action="create", object_type="call").count() == 1

    # The same key with another body is refused, and changes nothing.
    other = api("POST", "/api/v1/calls/", {**CALL, "priority": 1}, {"Idempotency-Key": "cad-4711"})
    assert other.status == 422
    assert other.json["code"] == "idempotency_key_reused" and "cad-4711" in other.json["detail"]
    assert Call.objects.count() == 4

    # Without a key, each POST is a new call; the day's numbers go on.
    plain = api("POST", "/api/v1/calls/", CALL)
    assert plain.status == 201 and plain.json["external_id"] == "C-20261031-0002"
    assert "Idempotent-Replayed" not in plain.headers


def test_validation_errors_name_the_fields_and_do_not_use_up_the_key(live_server, county):
    api = api_for(live_server, county["users"]["dispatcher"])
    key = {"Idempotency-Key": "retry-me"}
    bad = api(
        "POST",
        "/api/v1/calls/",
        {"source": "fax", "priority": 9, "caller_phone": "ask the neighbour", "priorty": 1},
        key,
    )
    assert bad.status == 400
    assert bad.headers["Content-Type"] == "application/json"
    assert set(bad.json) == {"source", "priority", "caller_phone", "call_type", "priorty"}
    assert bad.json["priorty"][0].startswith("Unknown field.")  # misspelt, not dropped silently
    assert bad.json["caller_phone"] == [
        "Use digits only (spaces, dashes, dots and parentheses are fine)."
    ]
    assert bad.json["priority"] == ["Priority is 1 (most urgent) to 5."]
    assert bad.json["call_type"] == ["This field is required."]
    assert api("POST", "/api/v1/calls/", {**CALL, "id": 5}).json == {
        "id": ["This field is read-only."]
    }
    assert api("POST", "/api/v1/calls/", raw=b"{not json").status == 400
    future = api("POST", "/api/v1/calls/", {**CALL, "received_at": "2099-01-01T00:00:00Z"})
    assert future.json == {"received_at": ["A call cannot be received in the future."]}
    unknown = api("POST", "/api/v1/calls/", {**CALL, "program": "nope"})
    assert unknown.json == {"program": ["No program with the id “nope”."]}
    long_key = api("POST", "/api/v1/calls/", CALL, {"Idempotency-Key": "x" * 65})
    assert long_key.status == 400 and "Idempotency-Key" in long_key.json
    assert Call.objects.count() == 3 and not IdempotencyKey.objects.exists()
    # Corrected, the same key now takes the call.
    assert api("POST", "/api/v1/calls/", CALL, key).status == 201


def test_update_retriages_and_is_idempotent_too(live_server, county):
    api = api_for(live_server, county["users"]["dispatcher"])
    created = api("POST", "/api/v1/calls/", CALL).json
    path = f"/api/v1/calls/{created['id']}/"
    change = {"call_type": "Suicidal subject", "priority": 1, "narrative": "Took pills."}
    first = api("PATCH", path, change, {"Idempotency-Key": "upd-1"})
    assert first.status == 200, first.body
    updated = first.json
    assert updated["call_type"] == "Suicidal subject" and updated["priority"] == 1
    assert updated["address"] == "77 Birch Rd"  # untouched fields stay
    assert updated["triage"]["triaged_at"] >= created["triage"]["triaged_at"]
    retry = api("PATCH", path, change, {"Idempotency-Key": "upd-1"})
    assert retry.status == 200 and retry.body == first.body
    assert AuditEvent.objects.filter(action="update").count() == 1
    # The key belongs to that request: another call, or another change, is refused.
    other = api("POST", "/api/v1/calls/", CALL).json
    moved = api("PATCH", f"/api/v1/calls/{other['id']}/", change, {"Idempotency-Key": "upd-1"})
    assert moved.status == 422
    assert api("PATCH", path, {"external_id": "X"}).json == {
        "external_id": ["A call's id cannot be changed."]
    }
    assert api("PATCH", path, {"priority": 0}).status == 400
    assert api("PUT", path, CALL).status == 405
    assert api("PATCH", "/api/v1/calls/999999/", change).status == 404


def test_who_may_do_what(live_server, county):
    users, calls = county["users"], county["calls"]
    anonymous = api_for(live_server)
    refused = anonymous("GET", "/api/v1/calls/")
    assert refused.status == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert anonymous("POST", "/api/v1/calls/", CALL).status == 401
    assert Api(live_server.url, token="crt_" + "0" * 43)("GET", "/api/v1/calls/").status == 401

    officer = api_for(live_server, users["officer"])
    assert officer("POST", "/api/v1/calls/", CALL).status == 403
    assert officer("PATCH", f"/api/v1/calls/{calls['ride'].pk}/", {"priority": 1}).status == 403
    listed = officer("GET", "/api/v1/calls/").json
    assert [c["external_id"] for c in listed["results"]] == ["C-100"]
    seen = officer("GET", f"/api/v1/calls/{calls['ride'].pk}/")
    assert seen.status == 200
    # The caller's name and number are the call-taking agency's.
    Call.objects.filter(pk=calls["ride"].pk).update(caller_name="Ann", caller_phone="5550100")
    seen = officer("GET", f"/api/v1/calls/{calls['ride'].pk}/").json
    assert seen["caller_name"] is None and seen["caller_phone"] is None
    # A call of a program the officer's agency is not part of is exactly like a missing one.
    hidden = officer("GET", f"/api/v1/calls/{calls['scrt'].pk}/")
    missing = officer("GET", "/api/v1/calls/987654/")
    assert hidden.status == missing.status == 404
    assert hidden.body == missing.body


def test_a_signed_in_session_reads_and_needs_csrf_to_write(live_server, county, client):
    client.force_login(county["users"]["dispatcher"])
    session = Api(live_server.url, cookie=f"sessionid={client.cookies['sessionid'].value}")
    listed = session("GET", "/api/v1/calls/")
    assert listed.status == 200 and listed.json["count"] == 3
    refused = session("POST", "/api/v1/calls/", CALL)
    assert refused.status == 403 and "CSRF" in refused.json["detail"]


def test_list_filters(live_server, county):
    api = api_for(live_server, county["users"]["dispatcher"])

    def ids(query):
        reply = api("GET", f"/api/v1/calls/?{query}")
        assert reply.status == 200, reply.body
        return [c["external_id"] for c in reply.json["results"]]

    assert ids("") == ["C-100", "C-200", "C-300"]  # newest first
    assert ids("source=988") == ["C-200"]
    assert ids("priority=4") == ["C-300"]
    assert ids("program=ride") == ["C-100"]
    assert ids("q=oak") == ["C-200"]
    assert ids("call_type=suicid") == ["C-200"]
    assert ids("received_after=2026-10-31T00:00:00-06:00") == ["C-100", "C-200"]
    assert ids("received_before=2026-10-31T15:00:00-06:00") == ["C-200", "C-300"]
    assert ids("frequent_caller=false") == ["C-100", "C-200", "C-300"]
    bad = api("GET", "/api/v1/calls/?priority=9&source=fax&received_after=yesterday")
    assert bad.status == 400 and set(bad.json) == {"priority", "source", "received_after"}
    order = api(
        "GET", "/api/v1/calls/?received_after=2026-11-01T00:00Z&received_before=2026-10-01T00:00Z"
    )
    assert order.json == {"received_before": ["Must be later than received_after."]}


def test_concurrent_retries_take_one_call_and_concurrent_calls_get_distinct_ids(
    live_server, county
):
    if connection.vendor == "sqlite":
        # The test run's SQLite is in memory with a shared cache, whose writers fail at once
        # with "table is locked" instead of waiting (a deployed SQLite file waits: WAL,
        # busy_timeout, IMMEDIATE transactions). The race is checked on PostgreSQL.
        pytest.skip("concurrent writers need PostgreSQL in the test run")
    api = api_for(live_server, county["users"]["dispatcher"])
    key = {"Idempotency-Key": "burst-1"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        same = list(pool.map(lambda _: api("POST", "/api/v1/calls/", CALL, key), range(6)))
    assert {r.status for r in same} == {201}, [r.body[:200] for r in same]
    assert len({r.body for r in same}) == 1  # every retry got the one first answer
    assert sum(r.headers["Idempotent-Replayed"] == "false" for r in same) == 1
    assert Call.objects.count() == 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        new = list(pool.map(lambda _: api("POST", "/api/v1/calls/", CALL), range(6)))
    assert {r.status for r in new} == {201}
    ids = sorted(r.json["external_id"] for r in new)
    assert ids == [f"C-20261031-{n:04d}" for n in range(2, 8)]
