"""The board's writes and reads: team status from shifts and open assignments, status order,
page-outs, warm hand-offs, who may do what (role x agency), and the audit of every write."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from coresponse.agencies.models import Shift
from coresponse.dispatch import selectors
from coresponse.dispatch.models import Assignment, HandoffState, PageOut
from coresponse.dispatch.services import board as service
from coresponse.dispatch.tests.board_world import build_board_world
from coresponse.privacy.models import AuditEvent
from coresponse.privacy.services import verify_chain

MIN = timedelta(minutes=1)


@pytest.fixture
def w(db):
    return build_board_world()


def statuses(w, at=None):
    return {t.team.name: t.status for t in selectors.teams_on_duty(at or w.now + MIN)}


def send(w, call, team, user="dispatcher", minutes=1):
    return service.dispatch_team(
        w.calls[call], w.teams[team], user=w.users[user], at=w.now + minutes * MIN
    )


def test_team_status_follows_shifts_and_the_open_assignment(w):
    assert statuses(w) == {
        "Unit 1": "available",
        "Unit 2": "off_duty",
        "On-Call": "available",
        "SCRT 1": "available",
    }
    a = send(w, "suicide", "unit")
    assert statuses(w)["Unit 1"] == "dispatched"
    user = w.users["dispatcher"]
    for minutes, status in ((2, "en_route"), (9, "on_scene"), (30, "clearing"), (50, "cleared")):
        a = service.advance(a, status, user=user, at=w.now + minutes * MIN)
        expected = "available" if status == "cleared" else status
        assert statuses(w)["Unit 1"] == expected
    assert (a.en_route_at - a.dispatched_at) == MIN
    assert a.on_scene_at == w.now + 9 * MIN and a.officer_cleared_at == w.now + 30 * MIN
    assert a.cleared_at == w.now + 50 * MIN
    # The shift's end puts the team off duty; the night team comes on.
    later = statuses(w, w.now + timedelta(hours=7))
    assert later["Unit 1"] == "off_duty" and later["Unit 2"] == "available"


def test_a_team_out_past_its_shift_stays_out(w):
    send(w, "suicide", "unit")
    Shift.objects.filter(team=w.teams["unit"]).update(ends_at=w.now + 2 * MIN)
    assert statuses(w, w.now + 10 * MIN)["Unit 1"] == "dispatched"


def test_members_show_their_agency_and_role(w):
    unit = next(t for t in selectors.teams_on_duty(w.now) if t.team.name == "Unit 1")
    members = {(m.name, m.role, m.agency) for m in unit.members}
    assert members == {
        ("Marcus Hale", "Officer", "Riverton PD"),
        ("Priya Natarajan", "Clinician", "Cedar BHC"),
    }
    assert unit.shift is not None and not unit.on_call
    night = next(t for t in selectors.teams_on_duty(w.now) if t.team.name == "Unit 2")
    assert night.shift is None and night.next_shift.starts_at == w.now + timedelta(hours=3)


def test_status_moves_in_order_only(w):
    a = send(w, "suicide", "unit")
    user = w.users["dispatcher"]
    with pytest.raises(ValueError, match="cannot move to on scene"):
        service.advance(a, "on_scene", user=user, at=w.now + 2 * MIN)
    with pytest.raises(ValueError, match="cannot move to clearing"):
        service.advance(a, "clearing", user=user, at=w.now + 2 * MIN)
    with pytest.raises(ValueError, match="not a status"):
        service.advance(a, "dispatched", user=user)
    with pytest.raises(ValueError, match="before the last status"):
        service.advance(a, "en_route", user=user, at=w.now - 5 * MIN)
    a = service.advance(a, "en_route", user=user, at=w.now + 2 * MIN)
    with pytest.raises(ValueError, match="cannot move to en route"):
        service.advance(a, "en_route", user=user, at=w.now + 3 * MIN)
    # Cancelled on the way: cleared without arriving.
    a = service.advance(a, "cleared", user=user, at=w.now + 4 * MIN)
    assert a.on_scene_at is None and a.cleared_at == w.now + 4 * MIN
    with pytest.raises(ValueError, match="is cleared"):
        service.advance(a, "on_scene", user=user, at=w.now + 5 * MIN)


def test_a_civilian_team_has_no_officer_to_clear(w):
    a = send(w, "welfare", "scrt")
    user = w.users["dispatcher"]
    a = service.advance(a, "en_route", user=user, at=w.now + 2 * MIN)
    a = service.advance(a, "on_scene", user=user, at=w.now + 3 * MIN)
    assert service.next_statuses(a) == ("cleared",)
    with pytest.raises(ValueError, match="no officer to clear"):
        service.advance(a, "clearing", user=user, at=w.now + 4 * MIN)


def test_dispatch_refuses_busy_off_duty_and_civilian_to_police_only(w):
    send(w, "suicide", "unit")
    with pytest.raises(ValueError, match="already out on call C-suicide"):
        send(w, "weapon", "unit", minutes=2)
    with pytest.raises(ValueError, match="off duty"):
        send(w, "weapon", "night")
    with pytest.raises(ValueError, match="police only"):
        send(w, "weapon", "scrt")
    assert Assignment.objects.count() == 1


def test_suggestions_follow_the_recommendation(w):
    teams = selectors.teams_on_duty(w.now)

    def names(call):
        suggested, others = selectors.suggest_teams(w.calls[call], teams)
        return [t.team.name for t in suggested], [t.team.name for t in others]

    assert names("suicide") == (["Unit 1", "On-Call"], ["SCRT 1"])
    assert names("welfare") == (["SCRT 1"], ["On-Call", "Unit 1"])  # by program name
    assert names("weapon") == (["Unit 1"], ["On-Call"])  # never a civilian team
    assert names("lonely") == (["On-Call"], ["Unit 1", "SCRT 1"])
    assert names("untriaged") == ([], ["On-Call", "Unit 1", "SCRT 1"])


def test_an_on_call_dispatch_pages_the_clinician_who_acknowledges(w):
    a = send(w, "lonely", "oncall")
    page = PageOut.objects.get(assignment=a)
    assert page.user == w.users["oncall"] and page.acknowledged_at is None
    assert not PageOut.objects.filter(assignment__team=w.teams["unit"]).exists()
    with pytest.raises(PermissionDenied):
        service.acknowledge_page(page, user=w.users["clinician"])  # not the paged clinician
    page = service.acknowledge_page(page, user=w.users["oncall"], at=w.now + 2 * MIN)
    assert page.acknowledged_at == w.now + 2 * MIN
    with pytest.raises(ValueError, match="already acknowledged"):
        service.acknowledge_page(page, user=w.users["oncall"])


def test_a_dispatcher_may_record_a_spoken_acknowledgement(w):
    page = PageOut.objects.get(assignment=send(w, "lonely", "oncall"))
    with pytest.raises(PermissionDenied):  # Riverton PD does not run the on-call program
        service.acknowledge_page(page, user=w.users["sup_pd"])
    service.acknowledge_page(page, user=w.users["dispatcher"], at=w.now + 3 * MIN)
    event = AuditEvent.objects.filter(object_type="page_out", object_id=str(page.pk)).last()
    assert "recorded by the dispatcher" in event.detail


@pytest.mark.parametrize(
    ("username", "call", "team", "allowed"),
    [
        ("dispatcher", "welfare", "scrt", True),
        ("dispatcher", "untriaged", "oncall", True),  # a call of no program
        ("sup_pd", "suicide", "unit", True),  # Riverton PD partners in the ride-along program
        ("sup_pd", "welfare", "scrt", False),  # ... not in the street team
        ("sup_pd", "untriaged", "unit", False),  # nor in a call of no program
        ("sup_bhc", "welfare", "scrt", True),
        ("manager", "suicide", "unit", False),  # managers watch the board, they do not dispatch
        ("officer", "suicide", "unit", False),  # a team member does not dispatch themselves
        ("clinician", "welfare", "scrt", False),
        ("casemanager", "suicide", "unit", False),
        ("line", "lonely", "oncall", False),
    ],
)
def test_who_may_dispatch(w, username, call, team, allowed):
    if allowed:
        assert send(w, call, team, user=username).team == w.teams[team]
    else:
        with pytest.raises(PermissionDenied):
            send(w, call, team, user=username)
        assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("dispatcher", True),
        ("sup_pd", True),
        ("officer", True),  # their own team
        ("clinician", True),  # their own team
        ("deputy", False),  # another team's
        ("paramedic", False),
        ("manager", False),
        ("line", False),
    ],
)
def test_who_may_move_a_team_along(w, username, allowed):
    a = send(w, "suicide", "unit")
    if allowed:
        a = service.advance(a, "en_route", user=w.users[username], at=w.now + 2 * MIN)
        assert a.status == "en_route"
    else:
        with pytest.raises(PermissionDenied):
            service.advance(a, "en_route", user=w.users[username], at=w.now + 2 * MIN)
        a.refresh_from_db()
        assert a.status == "dispatched" and a.en_route_at is None


def waiting(w, user="dispatcher"):
    board = selectors.board(w.users[user])
    return [x.call.external_id for x in board.waiting], board


def test_the_warm_hand_off_states_and_a_bounce_back(w):
    call, line = w.calls["lonely"], w.agencies["988"]
    with pytest.raises(ValueError, match="not a 988"):
        service.offer_handoff(call, w.agencies["bhc"], user=w.users["dispatcher"])
    h = service.offer_handoff(call, line, user=w.users["dispatcher"], at=w.now + MIN)
    assert h.state == "offered" and h.offered_at == w.now + MIN
    assert "C-lonely" not in waiting(w)[0]  # the crisis line holds it
    with pytest.raises(ValueError, match="already has a hand-off"):
        service.offer_handoff(call, line, user=w.users["dispatcher"])
    with pytest.raises(ValueError, match="being handed off"):
        send(w, "lonely", "oncall", minutes=2)
    with pytest.raises(ValueError, match="cannot become connected"):
        service.set_handoff_state(h, "connected", user=w.users["dispatcher"])
    h = service.set_handoff_state(h, "accepted", user=w.users["line"], at=w.now + 2 * MIN)
    h = service.set_handoff_state(h, "bounced_back", user=w.users["line"], at=w.now + 4 * MIN)
    assert (h.accepted_at, h.bounced_back_at) == (w.now + 2 * MIN, w.now + 4 * MIN)
    ids, board = waiting(w)
    assert "C-lonely" in ids
    assert next(x for x in board.waiting if x.call.external_id == "C-lonely").bounced
    # Back on the board, it can be dispatched or offered again.
    assert service.offer_handoff(call, line, user=w.users["dispatcher"]).state == "offered"


def test_a_connected_hand_off_is_final_and_leaves_the_board(w):
    h = service.offer_handoff(w.calls["lonely"], w.agencies["988"], user=w.users["dispatcher"])
    service.set_handoff_state(h, HandoffState.ACCEPTED, user=w.users["dispatcher"])
    h = service.set_handoff_state(h, HandoffState.CONNECTED, user=w.users["dispatcher"])
    assert h.connected_at is not None
    with pytest.raises(ValueError, match="is connected"):
        service.set_handoff_state(h, "bounced_back", user=w.users["dispatcher"])
    ids, board = waiting(w)
    assert "C-lonely" not in ids and not board.handoffs


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("dispatcher", True), ("line", True), ("sup_pd", False), ("officer", False)],
)
def test_who_may_answer_a_hand_off(w, username, allowed):
    h = service.offer_handoff(w.calls["lonely"], w.agencies["988"], user=w.users["dispatcher"])
    if allowed:
        assert service.set_handoff_state(h, "accepted", user=w.users[username]).accepted_at
    else:
        with pytest.raises(PermissionDenied):
            service.set_handoff_state(h, "accepted", user=w.users[username])


def test_no_hand_off_while_a_team_is_out(w):
    send(w, "lonely", "oncall")
    with pytest.raises(ValueError, match="team is out"):
        service.offer_handoff(w.calls["lonely"], w.agencies["988"], user=w.users["dispatcher"])


def test_every_write_is_audited_and_the_chain_holds(w):
    before = AuditEvent.objects.count()
    a = send(w, "lonely", "oncall")
    service.advance(a, "en_route", user=w.users["oncall"], at=w.now + 2 * MIN)
    service.acknowledge_page(a.page_outs.get(), user=w.users["oncall"], at=w.now + 2 * MIN)
    h = service.offer_handoff(w.calls["welfare"], w.agencies["988"], user=w.users["dispatcher"])
    service.set_handoff_state(h, "bounced_back", user=w.users["line"])
    events = list(AuditEvent.objects.order_by("id")[before:])
    details = [e.detail for e in events]
    assert details == [
        "dispatched On-Call to call C-lonely",
        "paged Luis Salazar for call C-lonely",
        "On-Call en route on call C-lonely",
        "Luis Salazar acknowledged the page for call C-lonely",
        "offered call C-welfare to Cedar 988",
        "hand-off of call C-welfare to Cedar 988: bounced back",
    ]
    assert all(e.action == "write" and e.actor_id for e in events)
    assert verify_chain() == []


def test_waiting_calls_by_priority_then_age_with_wait_levels(w):
    ids, board = waiting(w)
    # P1, P2, P3, P4, then no priority; equal priorities would go oldest first.
    assert ids == ["C-suicide", "C-weapon", "C-welfare", "C-lonely", "C-untriaged"]
    levels = {x.call.external_id: x.level for x in board.waiting}
    # P1 waited 4 min (amber from 2, red from 5); P3 12 min (red from 20, amber from 10).
    assert levels["C-suicide"] == "amber" and levels["C-welfare"] == "amber"
    assert levels["C-weapon"] == "ok" and levels["C-untriaged"] == "ok"
    assert board.counts["available"] == 3 and board.counts["on_shift"] == 3
    send(w, "suicide", "unit")
    ids, board = waiting(w)
    assert "C-suicide" not in ids and [a.call.external_id for a in board.active] == ["C-suicide"]
    assert board.counts["available"] == 2 and board.counts["out"] == 1


def test_wait_levels_per_priority(settings):
    assert selectors.wait_level(1, timedelta(minutes=1)) == "ok"
    assert selectors.wait_level(1, timedelta(minutes=2)) == "amber"
    assert selectors.wait_level(1, timedelta(minutes=5)) == "red"
    assert selectors.wait_level(4, timedelta(minutes=30)) == "amber"
    assert selectors.wait_level(None, timedelta(minutes=25)) == "red"
    settings.CORESPONSE_WAIT_THRESHOLDS = {1: (10, 20)}
    assert selectors.wait_level(1, timedelta(minutes=5)) == "ok"


def test_the_board_of_a_supervisor_holds_their_programs_only(w):
    ids, board = waiting(w, "sup_pd")
    assert ids == ["C-suicide", "C-weapon"]
    assert {t.team.name for t in board.teams} == {"Unit 1", "Unit 2"}
    ids, board = waiting(w, "sup_bhc")
    assert set(ids) == {"C-suicide", "C-weapon", "C-welfare"}


def test_calls_leave_the_board_after_its_window(w):
    w.calls["welfare"].received_at = w.now - selectors.BOARD_WINDOW - MIN
    w.calls["welfare"].save()
    assert "C-welfare" not in waiting(w)[0]


def test_duty_shows_a_members_teams_and_their_pages(w):
    assert selectors.duty_for(w.users["dispatcher"]) is None
    duty = selectors.duty_for(w.users["clinician"])
    assert {t.team.name for t in duty.teams} == {"Unit 1", "SCRT 1"} and not duty.out
    a = send(w, "lonely", "oncall")
    duty = selectors.duty_for(w.users["oncall"])
    assert duty.out[0].assignment == a and [p.assignment_id for p in duty.pages] == [a.pk]
    assert selectors.duty_for(w.users["clinician"]).pages == []


def test_a_police_only_call_is_patrols_after_half_an_hour(w):
    assert "C-weapon" in waiting(w)[0]
    w.calls["weapon"].received_at = w.now - selectors.POLICE_ONLY_WINDOW - MIN
    w.calls["weapon"].save()
    w.calls["untriaged"].received_at = w.now - selectors.POLICE_ONLY_WINDOW - MIN
    w.calls["untriaged"].save()
    ids = waiting(w)[0]
    assert "C-weapon" not in ids and "C-untriaged" in ids
