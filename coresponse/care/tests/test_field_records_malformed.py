"""Malformed records from a phone (or anything else that speaks HTTP) are refused with 400 and
a message naming the key, never a server error, on SQLite and PostgreSQL alike: NUL characters
(PostgreSQL stores none), times at the calendar's edges, ids too big for a database key,
non-strings where choices belong, searches with impossible coordinates. Nothing is written."""

import json
import uuid

import pytest

from coresponse.care.models import FollowUp, Referral
from coresponse.care.tests.test_field_records import PNG
from coresponse.dispatch.models import Assignment
from coresponse.field.models import Encounter
from coresponse.people.models import Person
from coresponse.privacy.models import Consent

pytestmark = pytest.mark.django_db

HUGE = 10**30


def base(world, **changes):
    active = Assignment.objects.get(call=world.calls["active"])
    body = {
        "client_id": str(uuid.uuid4()),
        "assignment": active.pk,
        "recorded_at": "2026-10-31T15:55:00-06:00",
        "person": {"first_name": "Rae", "last_name": "Birch"},
        "values": {"disposition": "referred", "notes.mental_health": "Calmer."},
        "referrals": [{"client_id": str(uuid.uuid4()),
                       "resource": world.resources["Cedar Recovery"].pk}],
        "follow_up": {"client_id": str(uuid.uuid4()), "due": "2026-11-02", "method": "phone"},
        "consent": {
            "client_id": str(uuid.uuid4()), "to": "treating_providers",
            "categories": ["identity", "contact_plan"], "purposes": ["treatment"],
            "expires": "2027-10-31", "signed_by": "Rae Birch", "signature": PNG,
        },
    }  # fmt: skip
    body.update(changes)
    return body


def malformed(world):
    """(what, body, the key the answer names)."""
    ok = base(world)
    yield (
        "a NUL in a note",
        {**ok, "values": {"notes.mental_health": "a\x00b"}},
        "values.notes.mental_health",
    )
    yield "a NUL in a name", {**ok, "person": {"first_name": "R\x00"}}, "person.first_name"
    yield "a NUL in a key", {**ok, "values": {"\x00": 1}}, "values.\x00"
    yield (
        "a NUL in a referral note",
        {**ok, "referrals": [{**ok["referrals"][0], "note": "\x00"}]},
        "referrals.0.note",
    )
    yield (
        "a NUL in the signer",
        {**ok, "consent": {**ok["consent"], "signed_by": "\x00"}},
        "consent.signed_by",
    )
    yield "year 1 with an offset", {**ok, "recorded_at": "0001-01-01T00:00:00+05:00"}, "recorded_at"
    yield "before 1970", {**ok, "recorded_at": "1901-01-01T00:00:00"}, "recorded_at"
    yield "the end of year 9999", {**ok, "recorded_at": "9999-12-31T23:59:59-12:00"}, "recorded_at"
    yield (
        "a follow-up in 9999",
        {**ok, "follow_up": {**ok["follow_up"], "due": "9999-12-31T23:59:59-12:00"}},
        "follow_up.due",
    )
    yield (
        "a follow-up years away",
        {**ok, "follow_up": {**ok["follow_up"], "due": "2040-01-01"}},
        "follow_up.due",
    )
    yield (
        "a consent to 9999",
        {**ok, "consent": {**ok["consent"], "expires": "9999-12-31"}},
        "consent.expires",
    )
    yield (
        "categories not strings",
        {**ok, "consent": {**ok["consent"], "categories": [["identity"]]}},
        "consent.categories",
    )
    yield (
        "purposes not strings",
        {**ok, "consent": {**ok["consent"], "purposes": [{}]}},
        "consent.purposes",
    )
    yield "a huge assignment id", {**ok, "assignment": HUGE}, "assignment"
    yield "a fractional assignment id", {**ok, "assignment": 1.5}, "assignment"
    yield "true as an id", {**ok, "assignment": True}, "assignment"
    yield "a huge directory id", {**ok, "referrals": [{"resource": HUGE}]}, "referrals.0"
    yield (
        "a huge program id",
        {**ok, "assignment": None, "kind": "outreach", "program": HUGE},
        "program",
    )
    yield (
        "a huge outreach visit id",
        {**ok, "assignment": None, "outreach_visit": HUGE},
        "outreach_visit",
    )
    yield (
        "no such outreach visit",
        {**ok, "assignment": None, "outreach_visit": 1},
        "outreach_visit",
    )
    yield (
        "a huge consent agency",
        {**ok, "consent": {**ok["consent"], "to": f"agency:{HUGE}"}},
        "consent.to",
    )
    yield "a list for a kind", {**ok, "kind": ["crisis"]}, "kind"
    yield "not an object", [1, 2], "client_id"


def test_malformed_records_are_refused_by_key_and_nothing_is_written(client, world):
    client.force_login(world.users["clinician"])
    counts = [m.objects.count() for m in (Encounter, Person, Referral, FollowUp, Consent)]
    for what, body, key in malformed(world):
        reply = client.post(
            "/api/v1/field/records/", json.dumps(body), content_type="application/json"
        )
        assert reply.status_code == 400, (what, reply.content)
        assert key in reply.json(), (what, reply.json())
    assert [m.objects.count() for m in (Encounter, Person, Referral, FollowUp, Consent)] == counts
    # The same record, well formed, is saved: the refusals were about the damage alone.
    reply = client.post(
        "/api/v1/field/records/", json.dumps(base(world)), content_type="application/json"
    )
    assert reply.status_code == 201, reply.content


def test_malformed_edits_status_taps_and_searches_are_refused_by_key(client, world):
    client.force_login(world.users["clinician"])
    made = client.post(
        "/api/v1/field/records/",
        json.dumps(base(world, consent=None)),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    path = f"/api/v1/field/records/{made.json()['record']['id']}/"
    for body, key in (
        (
            {"base_version": 1, "values": {"notes.mental_health": "\x00"}},
            "values.notes.mental_health",
        ),
        ({"base_version": True, "values": {}}, "base_version"),
        (
            {"base_version": 1, "values": {}, "recorded_at": "0001-01-01T00:00:00+05:00"},
            "recorded_at",
        ),
    ):
        reply = client.patch(path, json.dumps(body), content_type="application/json")
        assert reply.status_code == 400 and key in reply.json(), (body, reply.content)
    active = Assignment.objects.get(call=world.calls["active"])
    status = f"/api/v1/field/assignments/{active.pk}/status/"
    for body, key in (
        ({"status": "on_scene", "at": "0001-01-01T00:00:00+05:00"}, "at"),
        ({"status": "on_scene", "at": "1969-07-20T20:17:00Z"}, "at"),
        ({"status": ["on_scene"]}, "status"),
        ({"status": "on\x00scene"}, "status"),
    ):
        reply = client.post(status, json.dumps(body), content_type="application/json")
        assert reply.status_code == 400 and key in reply.json(), (body, reply.content)
    far = client.post(
        f"/api/v1/field/assignments/{HUGE}/status/", "{}", content_type="application/json"
    )
    assert far.status_code == 404
    for query, key in (("lat=1e400&lon=5", "lat"), ("lat=nan&lon=nan", "lon"),
                       ("age=" + "9" * 30, "age"),
                       ("lat=1&lon=1&within_km=-1", "within_km")):  # fmt: skip
        reply = client.get(f"/api/v1/care/resources/?{query}")
        assert reply.status_code == 400 and key in reply.json(), (query, reply.content)
    # The staff page says why it did not search instead.
    page = client.get("/care/resources/?lat=nan&lon=1")
    assert page.status_code == 200 and b"Not searched" in page.content
