"""The call-taker's form: who gets it, keyboard affordances, saving, errors, caller look-up."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from coresponse.agencies.models import Membership, Role, User
from coresponse.dispatch.models import Call

NEW = "/calls/new/"
GOOD = {
    "address": "77 Birch Rd",
    "caller_phone": "(303) 555-0142",
    "caller_name": "Ann Alder",
    "call_type": "Welfare check",
    "priority": "2",
    "narrative": "Neighbour worried. No weapon.",
    "source": "911",
    "program": "",
}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()  # the call-type suggestions are cached
    yield
    cache.clear()


def signed_in(client, county, name="dispatcher"):
    client.force_login(county["users"][name])
    return client


def test_only_dispatchers_take_calls(client, county):
    assert reverse("dispatch:call_new") == NEW
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    for name in ("officer", "paramedic", "clinician"):
        signed_in(client, county, name)
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, GOOD).status_code == 403
        assert client.get("/calls/caller/", {"caller_phone": "3035550142"}).status_code == 403
    assert not Call.objects.filter(call_type="Welfare check", address="77 Birch Rd").exists()
    assert signed_in(client, county).get(NEW).status_code == 200


def test_the_form_is_built_for_the_keyboard(client, county):
    body = signed_in(client, county).get(NEW).content.decode()
    # One autofocus, on the first thing a call-taker asks: where.
    assert body.count(" autofocus") == 1
    assert re.search(r'<input type="text" id="id_address"[^>]* autofocus', body)
    # Tab order is the order on the page: no positive tabindex anywhere.
    assert not re.search(r'tabindex="[1-9]', body)
    order = [
        body.index(f'id="{name}"')
        for name in (
            "id_address",
            "id_caller_phone",
            "id_caller_name",
            "id_call_type",
            "id_priority_0",
            "id_priority_4",
            "id_narrative",
            "id_source",
            "id_program",
        )
    ]
    assert order == sorted(order) and order[-1] < body.index(">Save and triage<")
    # Known call types are suggested, most used first.
    assert 'list="call-types"' in body
    options = re.findall(r'<datalist id="call-types">(.*?)</datalist>', body)[0]
    assert options.index('"Welfare check"') >= 0 and '"Suicidal subject"' in options
    # Priority is a radio group of 1 to 5, and the page says which keys do what.
    assert len(re.findall(r'type="radio" id="id_priority_\d" name="priority"', body)) == 5
    assert "<kbd>Ctrl</kbd>+<kbd>Enter</kbd>" in body and "<kbd>1</kbd>–<kbd>5</kbd>" in body
    # The caller look-up is announced to screen readers as it changes.
    assert 'id="caller-history" aria-live="polite"' in body
    assert 'data-history-url="/calls/caller/"' in body
    # The form's script and styles are this package's own files, nothing from elsewhere.
    assert finders.find("dispatch/intake.js") and finders.find("dispatch/intake.css")
    assert "http://" not in body and "https://" not in body
    # The source the dispatcher works is pre-selected: 911 by default.
    assert '<option value="911" selected>' in body


def test_saving_takes_the_call_and_shows_it_triaged(client, county):
    response = signed_in(client, county).post(NEW, GOOD)
    call = Call.objects.get(address="77 Birch Rd")
    assert response.status_code == 302
    assert response["Location"] == reverse("dispatch:call_detail", args=[call.pk])
    assert call.caller_phone == "3035550142" and call.priority == 2
    assert call.created_by == county["users"]["dispatcher"] and call.program is None
    assert call.external_id.startswith(f"C-{timezone.localtime():%Y%m%d}-")
    assert call.triage.recommendation
    page = client.get(response["Location"]).content.decode()
    assert "Welfare check" in page and call.external_id in page
    # The next form starts on the line the dispatcher just worked.
    signed_in(client, county).post(NEW, {**GOOD, "source": "988", "address": "1 Oak"})
    assert '<option value="988" selected>' in client.get(NEW).content.decode()


def test_an_error_keeps_everything_typed_and_says_what_to_fix(client, county):
    typed = {**GOOD, "call_type": "  ", "priority": "", "caller_phone": "ask neighbour"}
    response = signed_in(client, county).post(NEW, typed)
    body = response.content.decode()
    assert response.status_code == 400
    assert not Call.objects.filter(address="77 Birch Rd").exists()
    assert "The call is not saved yet." in body
    for message in (
        "Enter the call type, e.g. Welfare check.",
        "Choose a priority: 1 (most urgent) to 5.",
        "Use digits only (spaces, dashes, dots and parentheses are fine).",
    ):
        assert message in body
    # Nothing is lost: every value comes back as typed.
    assert 'value="77 Birch Rd"' in body and 'value="ask neighbour"' in body
    assert 'value="Ann Alder"' in body and "Neighbour worried. No weapon.</textarea>" in body
    # The first field to fix gets the focus, and each is marked invalid with its message.
    assert body.count(" autofocus") == 1
    assert re.search(r'id="id_caller_phone"[^>]*autofocus[^>]*aria-invalid="true"', body)
    assert 'aria-describedby="id_call_type_error"' in body
    assert '<a href="#id_priority_0">Priority</a>' in body
    # The chosen priority survives an error elsewhere.
    again = client.post(NEW, {**typed, "priority": "3"}).content.decode()
    assert re.search(r'value="3" required checked', again)


def test_a_second_save_of_the_same_form_takes_one_call(client, county):
    form = signed_in(client, county).get(NEW).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', form).group(1)
    first = client.post(NEW, {**GOOD, "token": token})
    second = client.post(NEW, {**GOOD, "token": token})
    assert first["Location"] == second["Location"]
    assert Call.objects.filter(address="77 Birch Rd").count() == 1
    # A fresh form is a fresh call.
    client.post(NEW, {**GOOD, "token": "f" * 32})
    assert Call.objects.filter(address="77 Birch Rd").count() == 2


def test_caller_look_up(client, county, settings):
    settings.CORESPONSE_FREQUENT_CALLER_CALLS = 3
    settings.CORESPONSE_FREQUENT_CALLER_DAYS = 90
    signed_in(client, county)

    def say(phone):
        return client.get("/calls/caller/", {"caller_phone": phone}).content.decode()

    assert say("").strip() == ""
    assert "No earlier calls from (303) 555-0142 in 90 days." in say("303-555-0142")
    now = timezone.now()
    for i, days in enumerate((1, 30, 120)):
        Call.objects.create(
            external_id=f"F-{i}",
            received_at=now - timedelta(days=days),
            source="911",
            call_type="Check",
            caller_phone="3035550142",
        )
    text = say("+1 303 555 0142")
    assert (
        "Frequent caller" in text and "3 calls in 90 days" in text and "this one included" in text
    )
    Call.objects.filter(external_id="F-1").delete()
    assert "1 earlier call from (303) 555-0142 in 90 days." in say("3035550142")
    assert "Use digits only" in say("next door")
    # An error on save shows the same line for a number that is fine.
    body = client.post(NEW, {**GOOD, "call_type": ""}).content.decode()
    assert "1 earlier call from (303) 555-0142" in body


def test_new_call_is_in_the_dispatchers_navigation_only(client, county):
    body = signed_in(client, county).get(NEW).content.decode()
    assert '<a href="/calls/new/" aria-current="page">New call</a>' in body
    assert '<a href="/calls/">Calls</a>' in body  # not also current
    listed = client.get("/calls/").content.decode()
    assert '<a href="/calls/" aria-current="page">Calls</a>' in listed
    assert '<a href="/calls/new/">New call</a>' in listed
    officer = signed_in(client, county, "officer").get("/calls/").content.decode()
    assert "/calls/new/" not in officer


def test_a_dispatcher_with_a_second_role_still_takes_calls(client, county):
    # Roles add up: a clinician who also dispatches at the 911 centre gets the form.
    user = User.objects.create(username="both")
    Membership.objects.create(
        user=user, agency=county["users"]["clinician"].memberships.get().agency, role=Role.CLINICIAN
    )
    psap = county["users"]["dispatcher"].memberships.get().agency
    Membership.objects.create(user=user, agency=psap, role=Role.DISPATCHER)
    client.force_login(user)
    assert client.get(NEW).status_code == 200


def test_call_page_shows_the_caller_to_dispatchers_only(client, county):
    call = county["calls"]["ride"]
    Call.objects.filter(pk=call.pk).update(
        caller_name="Ann Alder", caller_phone="3035550142", frequent_caller=True
    )
    url = reverse("dispatch:call_detail", args=[call.pk])
    page = signed_in(client, county).get(url).content.decode()
    assert "Ann Alder" in page and 'href="tel:3035550142" class="nowrap">(303) 555-0142</a>' in page
    assert '<span class="badge badge-warn">Frequent caller</span>' in page
    page = signed_in(client, county, "officer").get(url).content.decode()
    assert "Ann Alder" not in page and "555-0142" not in page
    assert '<span class="badge badge-warn">Frequent caller</span>' in page
