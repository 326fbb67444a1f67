"""Protocol pages and the call page's triage panel: who reads and who edits (role x agency),
the editor's inline problems and versions, "try it", the history and the one-sentence why."""

import html

import pytest
from django.urls import reverse

from coresponse.agencies.models import Program
from coresponse.dispatch.models import Call, TriageProtocol
from coresponse.dispatch.services.triage import triage_call
from coresponse.dispatch.tests.triage_world import AFTERNOON, EDIT, READ, USERS, build_world
from coresponse.dispatch.triage import documents, protocols
from coresponse.privacy.models import AuditEvent


@pytest.fixture
def world(db):
    return build_world()


def url(name, protocol, *args):
    return reverse(f"dispatch:{name}", args=[protocol.pk, *args])


@pytest.mark.parametrize("username", sorted(USERS))
def test_who_reads_and_who_edits(client, world, username):
    client.force_login(world["users"][username])
    for key, protocol in world["protocols"].items():
        readable = username in READ[key]
        detail = client.get(url("protocol_detail", protocol))
        assert detail.status_code == (200 if readable else 404), (username, key)
        edit = client.get(url("protocol_edit", protocol))
        expected = 200 if username in EDIT[key] else (403 if readable else 404)
        assert edit.status_code == expected, (username, key)
        history = client.get(url("protocol_history", protocol))
        assert history.status_code == (200 if readable else 404)
        post = client.post(url("protocol_edit", protocol), {"document": "x", "base": 1})
        assert post.status_code == expected  # an editor gets the page back with problems
    listed = client.get(reverse("dispatch:protocol_list")).content.decode()
    for key, protocol in world["protocols"].items():
        assert (url("protocol_detail", protocol) in listed) == (username in READ[key])
    assert TriageProtocol.objects.get(pk=world["protocols"]["ride"].pk).versions.count() == 1


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(url("protocol_detail", world["protocols"]["ride"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_missing_protocol_is_404_like_a_hidden_one(client, world):
    client.force_login(world["users"]["officer"])
    hidden = client.get(url("protocol_detail", world["protocols"]["scrt"]))
    missing = client.get(reverse("dispatch:protocol_detail", args=[424242]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_the_page_shows_rules_in_order_with_anchors(client, world):
    client.force_login(world["users"]["officer"])
    body = client.get(url("protocol_detail", world["protocols"]["ride"])).content.decode()
    assert "Riverton ride-along" in body and "Edit</a>" not in body
    assert body.index('id="rule-X1"') < body.index('id="rule-R1"') < body.index('id="rule-R7"')
    assert "weapon mentioned; patrol secures the scene first" in body
    assert "daily 11:00–23:00 (the program&#x27;s hours)" in body


def test_try_it_shows_the_recommendation_and_sentence(client, world):
    client.force_login(world["users"]["clinician"])
    protocol = world["protocols"]["ride"]
    data = {
        "call_type": "127D_Suicide Threat",
        "priority": "2",
        "source": "911",
        "received_at": "2026-10-27T15:00",
        "narrative": "RP says he wants to die, denies weapons",
        "version": "1",
    }
    partial = client.post(url("protocol_try", protocol), data, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200 and "<html" not in body
    assert "Co-responder team: suicidal-ideation call during program hours; no weapon per " in body
    assert 'href="#rule-R1"' in body and "category Behavioral Health" in body
    data["narrative"] = "RP says he has a knife"
    full = client.post(url("protocol_try", protocol), data).content.decode()
    assert (
        "<html" in full
        and "Police only: weapon mentioned" in full
        and "(&quot;knife&quot;)" in full
    )
    bad = client.post(url("protocol_try", protocol), {"call_type": ""}, HTTP_HX_REQUEST="true")
    assert "give at least a call type" in bad.content.decode()


def edit(client, protocol, text, note="Tightened R1.", action="save", base=1, **extra):
    data = {"document": text, "note": note, "action": action, "base": base, **extra}
    return client.post(url("protocol_edit", protocol), data)


def test_saving_makes_version_n_plus_1_and_audits(client, world):
    client.force_login(world["users"]["supervisor"])
    protocol = world["protocols"]["ride"]
    page = html.unescape(client.get(url("protocol_edit", protocol)).content.decode())
    assert "Save as version 2" in page and 'name = "Riverton ride-along"' in page
    text = documents.dumps(protocols.load("ride-along")).replace('"lonely", ', "")
    response = edit(client, protocol, text)
    assert response.status_code == 302 and response["Location"] == url("protocol_detail", protocol)
    version = protocol.versions.get(number=2)
    assert version.created_by == world["users"]["supervisor"] and version.note == "Tightened R1."
    assert "lonely" not in version.document["rules"][1]["keywords_any"]
    assert AuditEvent.objects.filter(
        action="protocol_version", actor=world["users"]["supervisor"]
    ).exists()
    shown = client.get(response["Location"]).content.decode()
    assert "Saved as version 2." in shown and "Version 2 ·" in shown
    old = client.get(url("protocol_version", protocol, 1)).content.decode()
    assert "This is version 1, kept as it was." in old
    history = client.get(url("protocol_history", protocol)).content.decode()
    assert "rule R2 keywords_any: removed &quot;lonely&quot;" in history
    assert "Tightened R1." in history and "Text changes" in history


def test_problems_are_shown_inline_and_nothing_is_saved(client, world):
    client.force_login(world["users"]["manager"])
    protocol = world["protocols"]["ride"]
    syntax = edit(client, protocol, 'name = "x"\ndefault = police_only\n').content.decode()
    assert "Version 2 is not saved yet." in syntax and "line 2" in syntax
    text = documents.dumps(protocols.load("ride-along"))
    wrong = text.replace('recommend = "co_responder"', 'recommend = "coresponder"', 1)
    wrong = wrong.replace("keywords_any = [", "keyword_any = [", 1)
    body = edit(client, protocol, wrong).content.decode()
    assert "is not a recommendation" in body and "did you mean &#x27;keywords_any&#x27;?" in body
    assert 'data-line="15">line 15</a>: <code>exclusions[0].keyword_any' in body  # its line
    assert 'aria-invalid="true"' in body and "coresponder" in body  # the text is kept
    no_note = edit(client, protocol, text, note=" ").content.decode()
    assert "Say what changed and why" in no_note
    assert protocol.versions.count() == 1


def test_check_validates_and_tries_the_draft_without_saving(client, world):
    client.force_login(world["users"]["manager"])
    protocol = world["protocols"]["ride"]
    text = documents.dumps(protocols.load("ride-along")).replace(
        'label = "suicidal-ideation call"', 'label = "suicide risk call"'
    )
    body = edit(
        client,
        protocol,
        text,
        note="",
        action="check",
        **{"try-call_type": "Suicidal subject", "try-priority": "2", "try-source": "911",
           "try-received_at": "2026-10-27T15:00", "try-narrative": "wants to die"},
    ).content.decode()  # fmt: skip
    assert "The draft is valid." in body
    assert "Co-responder team: suicide risk call during program hours" in body
    assert protocol.versions.count() == 1


def test_a_version_saved_meanwhile_is_not_overwritten(client, world):
    client.force_login(world["users"]["manager"])
    protocol = world["protocols"]["ride"]
    text = documents.dumps(protocols.load("ride-along"))
    assert edit(client, protocol, text, base=1).status_code == 302  # someone else's save
    stale = edit(client, protocol, text, note="Mine", base=1).content.decode()
    assert "Version 2 was saved by Manager after you opened the editor." in stale
    assert 'name="base" value="2"' in stale and protocol.versions.count() == 2
    assert edit(client, protocol, text, note="Mine", base=2).status_code == 302


def test_a_manager_starts_a_protocol_for_a_program_without_one(client, world):
    client.force_login(world["users"]["manager"])
    page = client.get(reverse("dispatch:protocol_new")).content.decode()
    assert "Youth unit" in page and "Riverton Co-Responder Unit" not in page
    youth = Program.objects.get(external_id="youth")
    response = client.post(
        reverse("dispatch:protocol_new"), {"program": youth.pk, "example": "cahoots"}
    )
    protocol = TriageProtocol.objects.get(program=youth)
    assert response.status_code == 302 and response["Location"] == url("protocol_edit", protocol)
    assert protocol.is_active and protocol.versions.get().document == protocols.load("cahoots")
    client.force_login(world["users"]["clinician"])
    assert client.get(reverse("dispatch:protocol_new")).status_code == 403


def test_the_call_page_explains_the_triage_in_one_sentence(client, world):
    ride = world["programs"]["ride"]
    c = Call.objects.create(
        external_id="C-1",
        received_at=AFTERNOON,
        source="911",
        call_type="127D_Suicide Threat",
        priority=2,
        narrative="Caller says her brother wants to die. No weapon mentioned.",
        program=ride,
    )
    plain = Call.objects.create(
        external_id="C-2", received_at=AFTERNOON, source="911", call_type="Noise", program=ride
    )
    result = triage_call(c)
    client.force_login(world["users"]["officer"])
    body = client.get(reverse("dispatch:call_detail", args=[c.pk])).content.decode()
    assert result.explanation in body
    assert result.explanation.startswith("Co-responder team: suicidal-ideation call during ")
    link = url("protocol_version", world["protocols"]["ride"], 1) + "#rule-R1"
    assert f'href="{link}"' in body and "Riverton ride-along, version 1" in body
    untriaged = client.get(reverse("dispatch:call_detail", args=[plain.pk])).content.decode()
    assert "Not triaged yet." in untriaged
    client.force_login(world["users"]["deputy"])
    assert client.get(reverse("dispatch:call_detail", args=[c.pk])).status_code == 404
