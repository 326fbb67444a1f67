"""The board's pages over HTTP: who may see them (role x agency), the live partial and its
204-when-unchanged, the cost of a poll, the actions with CSRF on, and the duty card."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from coresponse.dispatch.models import Assignment, Handoff, PageOut
from coresponse.dispatch.services import board as service
from coresponse.dispatch.tests.board_world import add_call, build_board_world

BOARD = reverse("dispatch:board")
LIVE = reverse("dispatch:board_live")


@pytest.fixture
def w(db):
    return build_board_world()


@pytest.fixture
def login(client, w):
    def as_user(username):
        client.force_login(w.users[username])
        return client

    return as_user


def body(response) -> str:
    return response.content.decode()


def version(html: str) -> str:
    return re.search(r'data-version="([0-9a-f]+)"', html).group(1)


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("dispatcher", 200),
        ("sup_pd", 200),
        ("sup_bhc", 200),
        ("manager", 200),
        ("officer", 403),
        ("clinician", 403),
        ("paramedic", 403),
        ("casemanager", 403),
        ("auditor", 403),
        ("line", 403),
    ],
)
def test_who_may_see_the_board(login, username, status):
    client = login(username)
    assert client.get(BOARD).status_code == status
    assert client.get(LIVE).status_code == status


def test_the_board_needs_a_signed_in_user(client, db):
    for url in (BOARD, LIVE, reverse("dispatch:duty"), reverse("dispatch:duty_live")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_dispatchers_board_shows_calls_triage_flags_and_teams(login):
    page = body(login("dispatcher").get(BOARD))
    assert "<h1>Dispatch board</h1>" in page
    for text in ("Suicide threat", "Co-responder team", "Police only", "Not triaged"):
        assert text in page
    assert "Frequent caller" in page
    assert (
        page.index("Suicide threat") < page.index("Man with a knife") < page.index("Welfare check")
    )  # priority order
    assert "Marcus Hale" in page and "Officer, Riverton PD" in page
    assert "Unit 2" in page and "Off duty" in page
    assert 'id="dispatch-' in page  # a dispatcher dispatches
    assert "Offer to Cedar 988" in page  # the 988-appropriate call
    assert "htmx.min.js" in page and 'hx-trigger="every 1s"' in page
    # The wait of the P1 call is past its amber target, said in words too.
    assert "long wait" in page


def test_a_supervisor_sees_their_programs_and_a_manager_only_watches(login):
    page = body(login("sup_pd").get(BOARD))
    assert "Suicide threat" in page and "Welfare check" not in page and "SCRT 1" not in page
    assert 'id="dispatch-' in page
    page = body(login("manager").get(BOARD))
    assert "Welfare check" in page and 'id="dispatch-' not in page


def test_the_live_partial_answers_204_while_nothing_changed(login, w):
    client = login("dispatcher")
    first = body(client.get(LIVE))
    assert first.startswith('<div id="board"')
    v = version(first)
    assert client.get(LIVE, {"v": v}).status_code == 204
    assert client.get(LIVE, {"v": v}).status_code == 204  # the CSRF token does not count
    service.dispatch_team(w.calls["suicide"], w.teams["unit"], user=w.users["dispatcher"])
    changed = client.get(LIVE, {"v": v})
    assert changed.status_code == 200 and version(body(changed)) != v
    assert "Active calls" in body(changed) and "Dispatched" in body(changed)


def test_a_poll_costs_a_fixed_number_of_queries(login, w, django_assert_max_num_queries):
    """Three for the session and the user, ten for the board, however full it is."""
    client = login("dispatcher")
    service.dispatch_team(w.calls["lonely"], w.teams["oncall"], user=w.users["dispatcher"])
    client.get(LIVE)
    with django_assert_max_num_queries(13) as few:
        client.get(LIVE)
    for i in range(30):
        add_call(w, f"more{i}", 3 + i % 20, 1 + i % 5, "ride")
    service.dispatch_team(w.calls["suicide"], w.teams["unit"], user=w.users["dispatcher"])
    service.offer_handoff(w.calls["welfare"], w.agencies["988"], user=w.users["dispatcher"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = body(client.get(LIVE))
    assert page.count('class="bcall ') == 32 and page.count('class="bout ') == 2


def test_dispatch_and_advance_through_the_forms(login, w):
    client = login("dispatcher")
    call, team = w.calls["suicide"], w.teams["unit"]
    response = client.post(
        reverse("dispatch:board_dispatch", args=[call.pk]), {"team": team.pk, "next": BOARD}
    )
    assert response.status_code == 302 and response["Location"] == BOARD
    assert "Unit 1 dispatched to call C-suicide." in body(client.get(BOARD))
    a = Assignment.objects.get(call=call)
    url = reverse("dispatch:board_advance", args=[a.pk])
    # With htmx the answer is the refreshed board, with the refusal or the news in it.
    htmx = {"HTTP_HX_REQUEST": "true"}
    refused = body(client.post(url, {"status": "on_scene"}, **htmx))
    assert refused.startswith('<div id="board"') and "cannot move to on scene" in refused
    moved = body(client.post(url, {"status": "en_route"}, **htmx))
    assert "Unit 1: en route on call C-suicide." in moved
    a.refresh_from_db()
    assert a.status == "en_route" and a.en_route_at is not None


def test_a_busy_team_is_refused_with_a_message(login, w):
    client = login("dispatcher")
    service.dispatch_team(w.calls["suicide"], w.teams["unit"], user=w.users["dispatcher"])
    url = reverse("dispatch:board_dispatch", args=[w.calls["weapon"].pk])
    page = body(client.post(url, {"team": w.teams["unit"].pk}, follow=True))
    assert "Unit 1 is already out on call C-suicide" in page
    assert "Choose a team" in body(client.post(url, {}, follow=True))


def test_actions_need_the_csrf_token_of_the_page(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w.users["dispatcher"])
    url = reverse("dispatch:board_dispatch", args=[w.calls["suicide"].pk])
    assert client.post(url, {"team": w.teams["unit"].pk}).status_code == 403
    page = body(client.get(BOARD))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert "csrf-slot" not in page and len(token) == 64
    response = client.post(url, {"team": w.teams["unit"].pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Assignment.objects.filter(call=w.calls["suicide"]).exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("dispatcher", 302), ("sup_bhc", 302), ("sup_pd", 403), ("officer", 403), ("manager", 403)],
)
def test_who_may_dispatch_over_http(login, w, username, status):
    url = reverse("dispatch:board_dispatch", args=[w.calls["welfare"].pk])
    response = login(username).post(url, {"team": w.teams["scrt"].pk})
    # A supervisor of Riverton PD cannot see the street team's call at all: 404 like any
    # call they may not see; others who see it but may not dispatch: 403.
    expected = 404 if username in ("sup_pd", "officer") else status
    assert response.status_code == expected
    assert Assignment.objects.exists() == (status == 302)


@pytest.mark.parametrize(
    ("username", "status"),
    [("officer", 302), ("clinician", 302), ("deputy", 403), ("paramedic", 403), ("line", 403)],
)
def test_team_members_move_their_own_team_only(login, w, username, status):
    a = service.dispatch_team(w.calls["suicide"], w.teams["unit"], user=w.users["dispatcher"])
    url = reverse("dispatch:board_advance", args=[a.pk])
    response = login(username).post(url, {"status": "en_route", "view": "duty"})
    assert response.status_code == status
    a.refresh_from_db()
    assert (a.status == "en_route") == (status == 302)


def test_the_paged_clinician_acknowledges_from_the_duty_card(login, w):
    a = service.dispatch_team(w.calls["lonely"], w.teams["oncall"], user=w.users["dispatcher"])
    page = PageOut.objects.get(assignment=a)
    client = login("oncall")
    duty = body(client.get(reverse("dispatch:duty")))
    assert "You are paged" in duty and "Caller wants to talk" in duty and "Acknowledge" in duty
    assert 'id="duty-advance-' in duty  # and moves the team along
    url = reverse("dispatch:board_acknowledge", args=[page.pk])
    answer = body(client.post(url, {"view": "duty"}, HTTP_HX_REQUEST="true"))
    assert answer.startswith('<div id="duty"') and "You are paged" not in answer
    page.refresh_from_db()
    assert page.acknowledged_at is not None
    assert login("clinician").post(url).status_code == 403


def test_the_duty_card_for_someone_on_no_team(login):
    client = login("casemanager")
    assert "not on a team roster" in body(client.get(reverse("dispatch:duty")))
    assert client.get(reverse("dispatch:duty_live")).status_code == 204


def test_hand_off_through_the_forms(login, w):
    client = login("dispatcher")
    call = w.calls["lonely"]
    url = reverse("dispatch:board_handoff", args=[call.pk])
    assert "not a 988" in body(client.post(url, {"to_agency": w.agencies["bhc"].pk}, follow=True))
    client.post(url, {"to_agency": w.agencies["988"].pk})
    handoff = Handoff.objects.get(call=call)
    board = body(client.get(BOARD))
    assert "Hand-offs to a crisis line" in board and 'id="handoff-' in board
    line = login("line")
    state_url = reverse("dispatch:board_handoff_state", args=[handoff.pk])
    assert line.post(state_url, {"state": "accepted", "view": "call"}).status_code == 302
    handoff.refresh_from_db()
    assert handoff.state == "accepted"
    assert login("officer").post(state_url, {"state": "connected"}).status_code == 403


def test_the_call_page_offers_only_what_the_user_may_do(login, w):
    call = w.calls["suicide"]
    url = reverse("dispatch:call_detail", args=[call.pk])
    page = body(login("dispatcher").get(url))
    assert "Send a team" in page and "Warm hand-off to" in page
    page = body(login("officer").get(url))
    assert "Send a team" not in page and "Warm hand-off" not in page
    a = service.dispatch_team(call, w.teams["unit"], user=w.users["dispatcher"])
    page = body(login("officer").get(url))
    assert reverse("dispatch:board_advance", args=[a.pk]) in page and "En route" in page
    response = login("officer").post(
        reverse("dispatch:board_advance", args=[a.pk]), {"status": "en_route", "view": "call"}
    )
    assert response["Location"] == url


def test_a_team_member_sees_the_call_their_team_was_sent_to(login, w):
    call = add_call(w, "elsewhere", 2, 2, "scrt", call_type="Street team call")
    url = reverse("dispatch:call_detail", args=[call.pk])
    assert login("officer").get(url).status_code == 404  # not a Riverton PD program's call
    service.dispatch_team(call, w.teams["unit"], user=w.users["dispatcher"])
    assert login("officer").get(url).status_code == 200
    assert login("deputy").get(url).status_code == 404


def test_next_never_leaves_the_site(login, w):
    url = reverse("dispatch:board_dispatch", args=[w.calls["suicide"].pk])
    response = login("dispatcher").post(
        url, {"team": w.teams["unit"].pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")
