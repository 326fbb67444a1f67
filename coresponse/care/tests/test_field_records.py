"""The field app's sync over real HTTP, as a phone sends it: a record with its referral,
follow-up and signed consent made once however often it is sent, refusals that name the key
and use up nothing, edits from the version the phone read, and a change made on the server
meanwhile kept apart as a conflict until a person reconciles it."""

import base64
import uuid

import pytest

from coresponse.agencies.models import IdempotencyKey
from coresponse.care.models import FollowUp, Referral
from coresponse.care.tests.http import Phone
from coresponse.dispatch.models import Assignment
from coresponse.field import services as field_services
from coresponse.field.models import ConflictStatus, Encounter, EncounterConflict, EncounterNote
from coresponse.people.matching import find
from coresponse.privacy.models import AuditEvent, Consent

pytestmark = pytest.mark.django_db(transaction=True)

# A 1x1 PNG: what a signature canvas sends, in miniature.
PNG = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
        )
    ).decode()
)


def record(world, **changes):
    active = Assignment.objects.get(call=world.calls["active"])
    body = {
        "client_id": str(uuid.uuid4()),
        "assignment": active.pk,
        "recorded_at": "2026-10-31T15:55:00-06:00",
        "person": {"first_name": "Rae", "last_name": "Birch", "dob": "1988-04-02"},
        "values": {
            "presenting_concerns": ["anxiety", "substance_use"],
            "services": ["assessment", "de_escalation", "referral"],
            "disposition": "referred",
            "er_transport": False,
            "notes.mental_health": "Panic attack; calmer after breathing.",
            "notes.substance_use": "Drinking daily since the layoff.",
        },
        "referrals": [
            {"client_id": str(uuid.uuid4()), "resource": world.resources["Cedar Recovery"].pk}
        ],
        "follow_up": {"client_id": str(uuid.uuid4()), "due": "2030-01-02", "method": "phone"},
        "consent": {
            "client_id": str(uuid.uuid4()),
            "to": f"agency:{world.agencies['cedar-peers'].pk}",
            "categories": ["identity", "contact_plan", "substance_use"],
            "purposes": ["treatment", "care_coordination"],
            "expires": "2030-01-01",
            "signed_by": "Rae Birch",
            "signature": PNG,
        },
    }
    body.update(changes)
    return body


def test_a_record_with_its_care_is_made_once_however_often_it_is_sent(live_server, world):
    phone = Phone(live_server, world.users["clinician"])
    body = record(world)
    first = phone("POST", "/api/v1/field/records/", body, key="op-1")
    assert first.status == 201, first.body
    saved = first.json
    encounter = Encounter.objects.get(client_id=body["client_id"])
    assert saved["record"]["id"] == encounter.pk and saved["record"]["version"] == 1
    assert saved["created"] is True and first.headers["Idempotent-Replayed"] == "false"
    # The encounter on the team's call, with its times from the board and its new person.
    assert encounter.call == world.calls["active"] and encounter.on_scene_at is not None
    assert (
        encounter.person.agency.external_id == "cedar-bhc" and encounter.person.first_name == "Rae"
    )
    assert encounter.recorded_by == world.users["clinician"]
    # The new record is findable at once (its blocking keys) for the crisis alert and linking.
    found = find(first_name="Rae", last_name="Birch", dob="1988-04-02")
    assert found and found[0].person == encounter.person
    notes = dict(EncounterNote.objects.filter(encounter=encounter).values_list("category", "text"))
    assert notes == {
        "mental_health": "Panic attack; calmer after breathing.",
        "substance_use": "Drinking daily since the layoff.",
    }
    referral = Referral.objects.get(encounter=encounter)
    assert referral.to_agency.external_id == "cedar-peers" and referral.status == "sent"
    followup = FollowUp.objects.get(encounter=encounter)
    assert followup.method == "phone" and followup.due_at.year == 2030
    consent = Consent.objects.get(pk=saved["consent_id"])
    assert consent.kind == "part2" and consent.to_agency.external_id == "cedar-peers"
    assert bytes(consent.document).startswith(b"\x89PNG") and consent.signed_by == "Rae Birch"

    # The answer was lost; the phone sends the same again: the same answer, nothing new.
    retry = phone("POST", "/api/v1/field/records/", body, key="op-1")
    assert retry.status == 201 and retry.body == first.body
    assert retry.headers["Idempotent-Replayed"] == "true"
    # A new key for the same record (a phone that lost its queue): still one of each.
    again = phone("POST", "/api/v1/field/records/", body, key="op-2")
    assert again.status == 200 and again.json["created"] is False
    assert Encounter.objects.filter(client_id=body["client_id"]).count() == 1
    assert Referral.objects.filter(encounter=encounter).count() == 1
    assert FollowUp.objects.filter(encounter=encounter).count() == 1
    assert Consent.objects.filter(person=encounter.person).count() == 1
    # The same key with another body is refused.
    other = phone("POST", "/api/v1/field/records/", {**body, "kind": "outreach"}, key="op-1")
    assert other.status == 422 and other.json["code"] == "idempotency_key_reused"
    written = AuditEvent.objects.filter(
        action="write", object_type="encounter", object_id=str(encounter.pk)
    )
    assert written.count() == 1


def test_refusals_name_the_key_and_leave_the_key_free(live_server, world):
    phone = Phone(live_server, world.users["paramedic"])  # on the SCRT team, not clinical
    body = record(world, consent=None, referrals=[], follow_up=None)
    bad = phone("POST", "/api/v1/field/records/", body, key="op-x")
    assert bad.status == 400, bad.body
    assert set(bad.json) == {"presenting_concerns", "notes.mental_health", "notes.substance_use"}
    assert bad.json["notes.substance_use"] == [
        "your role may not record substance use (42 cfr part 2) data here"
    ]
    assert not Encounter.objects.filter(client_id=body["client_id"]).exists()
    assert not IdempotencyKey.objects.filter(key="op-x").exists()
    body["values"] = {
        "services": ["medical_care"],
        "er_transport": True,
        "notes.medical": "BP 150/95",
    }
    good = phone("POST", "/api/v1/field/records/", body, key="op-x")
    assert good.status == 201, good.body
    unknown = phone("POST", "/api/v1/field/records/", {**record(world), "colour": "red"})
    assert unknown.status == 400 and unknown.json["colour"] == ["Unknown field."]
    # Not the team of the call: no record for it.
    officer = Phone(live_server, world.users["officer"])
    refused = officer("POST", "/api/v1/field/records/", record(world))
    assert refused.status == 400 and "assignment" in refused.json
    assert Phone(live_server)("POST", "/api/v1/field/records/", record(world)).status == 401


def test_edits_from_an_older_version_keep_both_and_a_person_reconciles(live_server, world, client):
    phone = Phone(live_server, world.users["clinician"])
    created = phone("POST", "/api/v1/field/records/", record(world, consent=None), key="op-a")
    encounter_id = created.json["record"]["id"]
    url = f"/api/v1/field/records/{encounter_id}/"
    # A current edit saves as version 2.
    edit = phone(
        "PATCH", url, {"base_version": 1, "values": {"services": ["assessment"]}}, key="op-b"
    )
    assert edit.status == 200 and edit.json["record"]["version"] == 2
    # Meanwhile the team's peer specialist changes the disposition on the server: version 3.
    encounter = Encounter.objects.get(pk=encounter_id)
    field_services.update_encounter(
        world.users["peer"], encounter, base_version=2,
        changes={"disposition": "transferred_ems", "notes.contact_plan": "Call her sister"},
    )  # fmt: skip
    # The clinician's phone, offline since version 2, changes the disposition too.
    stale = {
        "base_version": 2,
        "values": {"disposition": "resolved_on_scene", "notes.mental_health": "Settled."},
    }
    clash = phone("PATCH", url, stale, key="op-c")
    assert clash.status == 409, clash.body
    assert clash.json["code"] == "conflict" and clash.json["fields"] == ["disposition"]
    encounter.refresh_from_db()
    assert encounter.version == 3 and encounter.disposition == "transferred_ems"  # untouched
    conflict = EncounterConflict.objects.get(pk=clash.json["conflict"])
    assert (
        conflict.base["disposition"] == "referred"
        and conflict.server["disposition"] == "transferred_ems"
    )
    assert conflict.device["disposition"] == "resolved_on_scene"
    # Sent again (the phone did not get the answer): the same conflict, not a second.
    assert phone("PATCH", url, stale, key="op-c").body == clash.body
    assert EncounterConflict.objects.count() == 1

    # The reconcile page shows both and keeps what the person chooses.
    client.force_login(world.users["clinician"])
    page = client.get(clash.json["reconcile_url"]).content.decode()
    assert "Transferred to EMS" in page and "Resolved on scene" in page and "Referred" in page
    response = client.post(clash.json["reconcile_url"], {"keep-disposition": "device"})
    assert response.status_code == 302
    encounter.refresh_from_db()
    conflict.refresh_from_db()
    assert conflict.status == ConflictStatus.RESOLVED and encounter.version == 4
    assert encounter.disposition == "resolved_on_scene"
    assert encounter.notes.get(category="contact_plan").text == "Call her sister"  # kept
    assert encounter.notes.get(category="mental_health").text == "Settled."
    assert encounter.revisions.filter(version=4, source="reconciled").exists()
    # Another user cannot open someone's conflict.
    client.force_login(world.users["officer"])
    assert client.get(clash.json["reconcile_url"]).status_code == 404


def test_changes_to_different_fields_merge(live_server, world):
    phone = Phone(live_server, world.users["clinician"])
    created = phone("POST", "/api/v1/field/records/", record(world, consent=None))
    encounter = Encounter.objects.get(pk=created.json["record"]["id"])
    field_services.update_encounter(
        world.users["peer"], encounter, base_version=1, changes={"services": ["peer_support"]}
    )
    merged = phone(
        "PATCH", f"/api/v1/field/records/{encounter.pk}/",
        {"base_version": 1, "values": {"notes.mental_health": "Calm now."}},
    )  # fmt: skip
    assert merged.status == 200 and merged.json["merged"] is True
    encounter.refresh_from_db()
    assert encounter.version == 3 and encounter.services == ["peer_support"]
    assert encounter.notes.get(category="mental_health").text == "Calm now."


def test_status_buttons_are_the_boards_own_moves(live_server, world):
    phone = Phone(live_server, world.users["clinician"])
    active = Assignment.objects.get(call=world.calls["active"])  # on scene
    work = phone("GET", "/api/v1/field/work/").json
    (card,) = work["assignments"]
    assert card["id"] == active.pk and [m["status"] for m in card["moves"]] == ["cleared"]
    assert card["call"]["call_type"] == "Disturbance" and card["alert_query"]["call_id"]
    url = f"/api/v1/field/assignments/{active.pk}/status/"
    bad = phone("POST", url, {"status": "clearing"}, key="tap-0")
    assert bad.status == 409 and "no officer" in bad.json["detail"]
    done = phone("POST", url, {"status": "cleared", "at": "2026-10-31T16:05:00-06:00"}, key="tap-1")
    assert done.status == 200, done.body
    active.refresh_from_db()
    assert active.status == "cleared" and active.cleared_at.isoformat().startswith(
        "2026-10-31T22:05"
    )
    again = phone(
        "POST", url, {"status": "cleared", "at": "2026-10-31T16:05:00-06:00"}, key="tap-1"
    )
    assert again.status == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert (
        AuditEvent.objects.filter(object_type="assignment", object_id=str(active.pk)).count() == 1
    )
    # The record is often finished after clearing: it takes the board's times.
    created = phone("POST", "/api/v1/field/records/", record(world, consent=None))
    assert created.status == 201, created.body
    assert Encounter.objects.get(pk=created.json["record"]["id"]).cleared_at == active.cleared_at
    other = Phone(live_server, world.users["officer"])
    assert other("POST", url, {"status": "cleared"}).status == 404
