"""Role × agency: which calls each user may list, read and write through the API."""

import json

import pytest

from coresponse.agencies import services
from coresponse.agencies.models import Agency, Membership, Role, User
from coresponse.dispatch.models import Call
from coresponse.dispatch.services.triage import triage_call
from coresponse.dispatch.tests.conftest import LAST

ALL = {"C-100", "C-200", "C-300"}
# user: (role, agency, calls they see). C-100 is the ride-along program's (police + BHC),
# C-200 the street team's (EMS + BHC), C-300 belongs to no program.
MATRIX = {
    "dispatcher": (Role.DISPATCHER, "cedar-911", ALL),
    "officer": (Role.OFFICER, "riverton-pd", {"C-100"}),
    "supervisor": (Role.SUPERVISOR, "riverton-pd", {"C-100"}),
    "paramedic": (Role.PARAMEDIC, "cedar-ems", {"C-200"}),
    "clinician": (Role.CLINICIAN, "cedar-bhc", {"C-100", "C-200"}),
    "manager": (Role.PROGRAM_MANAGER, "cedar-bhc", {"C-100", "C-200"}),
    "auditor": (Role.AUDITOR, "cedar-bhc", {"C-100", "C-200"}),
    "firefighter": (Role.PARAMEDIC, "cedar-fire", set()),  # an agency in no program
    "nobody": (None, None, set()),  # signed in, no membership
}


@pytest.fixture
def people(county):
    users = dict(county["users"])
    agencies = {a.external_id: a for a in Agency.objects.all()}
    agencies["cedar-fire"] = Agency.objects.create(
        external_id="cedar-fire", name="Cedar Fire", kind="fire"
    )
    for name, (role, agency, _) in MATRIX.items():
        if name in users:
            continue
        users[name] = User.objects.create(username=name)
        if role:
            Membership.objects.create(user=users[name], agency=agencies[agency], role=role)
    Call.objects.filter(external_id="C-100").update(caller_name="Ann", caller_phone="5550100")
    return users


def as_user(client, user):
    raw, _ = services.issue_token(user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return client


@pytest.mark.parametrize("name", MATRIX)
def test_each_role_and_agency_reads_only_its_calls(client, people, name):
    role, _, expected = MATRIX[name]
    api = as_user(client, people[name])
    listed = api.get("/api/v1/calls/").json()
    assert {c["external_id"] for c in listed["results"]} == expected
    assert listed["count"] == len(expected)
    missing_body = api.get("/api/v1/calls/987654/").content
    for call in Call.objects.all():
        response = api.get(f"/api/v1/calls/{call.pk}/")
        if call.external_id in expected:
            assert response.status_code == 200
            data = response.json()
            shown = data["caller_phone"] is not None
            assert shown == (role == Role.DISPATCHER)  # the caller's number: dispatchers only
        else:
            assert response.status_code == 404
            assert response.content == missing_body  # hidden looks exactly like missing


@pytest.mark.parametrize("name", MATRIX)
def test_only_dispatchers_write(client, people, name):
    role, _, expected = MATRIX[name]
    api = as_user(client, people[name])
    body = json.dumps({"source": "911", "call_type": "Welfare check", "priority": 3})
    created = api.post("/api/v1/calls/", body, content_type="application/json")
    target = Call.objects.get(external_id="C-100")
    changed = api.patch(
        f"/api/v1/calls/{target.pk}/", json.dumps({"priority": 1}), content_type="application/json"
    )
    if role == Role.DISPATCHER:
        assert created.status_code == 201 and changed.status_code == 200
    else:
        assert created.status_code == changed.status_code == 403
        assert created.json()["detail"] == "Only dispatchers may create or change calls."
        assert Call.objects.count() == 3 and Call.objects.get(pk=target.pk).priority == 2


def test_list_query_count_does_not_grow_with_rows(client, people, django_assert_max_num_queries):
    api = as_user(client, people["dispatcher"])
    for call in Call.objects.all():
        triage_call(call)
    api.get("/api/v1/calls/")
    with django_assert_max_num_queries(8) as few:
        assert api.get("/api/v1/calls/").status_code == 200
    calls = Call.objects.bulk_create(
        Call(external_id=f"B-{i}", received_at=LAST, source="911", call_type="Check")
        for i in range(40)
    )
    for call in calls:
        triage_call(call)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get("/api/v1/calls/").json()["results"]) == 43
