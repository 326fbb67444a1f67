"""The follow-up worklist, attempts and outcomes, and the reminders the background worker
leaves (care.tasks.send_reminders, a periodic job run by `coresponse worker`)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from coresponse.care import selectors, services
from coresponse.care.models import FollowUp, Reminder, ReminderKind
from coresponse.dispatch.selectors import AsOf


def at(now=None) -> AsOf:
    return AsOf(now or timezone.now(), False)


def followup(world, days: float, **values) -> FollowUp:
    return FollowUp.objects.create(
        external_id=f"F-{days}-{FollowUp.objects.count()}",
        person=world.persons["ann"],
        due_at=timezone.now() + timedelta(days=days),
        **values,
    )


def test_the_worklist_is_the_case_managers_and_the_unassigned(world):
    manager = world.users["casemanager"]
    mine = followup(world, 1, assigned_to=manager)
    open_one = followup(world, -2)
    theirs = followup(world, 1, assigned_to=world.users["clinician"])
    later = followup(world, 30)
    rows = list(selectors.worklist(manager, at()))
    assert mine in rows and open_one in rows
    assert theirs not in rows and later not in rows
    assert rows.index(open_one) < rows.index(mine)  # overdue first
    assert list(selectors.worklist(manager, at(), mine_only=True)).count(open_one) == 0
    # An officer sees no clinic follow-up (contact plan of another agency's record).
    assert not selectors.worklist(world.users["officer"], at()).filter(pk=mine.pk).exists()


def test_attempts_until_connected(world, login):
    manager = world.users["casemanager"]
    item = followup(world, -1)
    services.record_attempt(manager, item, method="phone", result="unable_to_reach",
                            next_due=timezone.now() + timedelta(days=1))  # fmt: skip
    item.refresh_from_db()
    assert item.completed_at is None and item.attempts == 1 and item.assigned_to == manager
    assert item.due_at > timezone.now()  # tried again tomorrow
    client = login("casemanager")
    response = client.post(
        reverse("care:followup_detail", args=[item.pk]),
        {"method": "visit", "result": "connected", "note": "Met at the shelter"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.outcome == "connected" and item.completed_at is not None and item.attempts == 2
    log = list(item.attempt_log.values_list("method", "result", "note"))
    assert log == [("phone", "unable_to_reach", ""), ("visit", "connected", "Met at the shelter")]
    page = client.get(reverse("care:followup_detail", args=[item.pk])).content.decode()
    assert "Met at the shelter" in page and "Connected to care" in page
    with pytest.raises(ValidationError):
        services.record_attempt(manager, item, method="phone", result="connected")


def test_tries_can_end_without_connecting(world):
    manager = world.users["casemanager"]
    item = followup(world, -3)
    for _ in range(2):
        services.record_attempt(manager, item, method="text", result="unable_to_reach")
    services.record_attempt(manager, item, method="phone", result="unable_to_reach", close=True)
    item.refresh_from_db()
    assert item.outcome == "unable_to_reach" and item.attempts == 3 and item.completed_at


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)  # the worker closes connections it finds in a transaction
def test_the_worker_leaves_reminders_once(world, database_tasks, login):
    manager = world.users["casemanager"]
    due_soon = followup(world, 0.25, assigned_to=manager)
    overdue = followup(world, -1)  # unassigned: every case manager of the clinic
    long_ago = followup(world, -60)  # outside the look-back window: the worklist has it
    stale = services.send_referral(
        world.users["clinician"], world.persons["ann"],
        resource=world.resources["Harbor House"], at=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    assert not Reminder.objects.exists()
    call_command("worker", once=True)  # enqueues the periodic job, then runs it
    assert DBTaskResult.objects.filter(task_path__endswith="send_reminders").count() == 1
    kinds = set(
        Reminder.objects.values_list("user__username", "kind", "followup_id", "referral_id")
    )
    assert ("casemanager", ReminderKind.FOLLOWUP_DUE, due_soon.pk, None) in kinds
    assert ("casemanager", ReminderKind.FOLLOWUP_OVERDUE, overdue.pk, None) in kinds
    assert ("clinician", ReminderKind.REFERRAL_OVERDUE, None, stale.pk) in kinds
    assert not Reminder.objects.filter(followup=long_ago).exists()
    count = Reminder.objects.count()
    assert services.remind() == 0 and Reminder.objects.count() == count  # once per item

    home = login("casemanager").get(reverse("home")).content.decode()
    assert "Reminders" in home and "Follow-up due today" in home and "Follow-up overdue" in home
    reminder = Reminder.objects.get(followup=overdue, user=manager)
    login("casemanager").post(reverse("care:dismiss_reminder", args=[reminder.pk]))
    reminder.refresh_from_db()
    assert reminder.dismissed_at is not None
    assert reminder not in selectors.reminders_for(manager)
    # Done work drops its reminder too.
    services.record_attempt(manager, due_soon, method="phone", result="connected")
    assert not selectors.reminders_for(manager).filter(followup=due_soon).exists()
    # Someone else's reminder cannot be dismissed.
    other = Reminder.objects.filter(user=world.users["clinician"]).first()
    assert (
        login("casemanager").post(reverse("care:dismiss_reminder", args=[other.pk])).status_code
        == 404
    )


def test_a_backlog_never_buries_this_weeks_follow_ups(world, login):
    """Follow-ups overdue by more than a month come after the rest, on the worklist and on the
    case manager's home (newest overdue first there); each shows its year."""
    manager = world.users["casemanager"]
    FollowUp.objects.filter(completed_at__isnull=True).delete()
    stale = [followup(world, -400 - n, assigned_to=manager) for n in range(3)]
    yesterday = followup(world, -1, assigned_to=manager)
    tomorrow = followup(world, 1)
    rows = list(selectors.worklist(manager, at()))
    assert rows == [yesterday, tomorrow, *reversed(stale)]
    assert [r.long_overdue for r in rows] == [False, False, True, True, True]
    page = login("casemanager").get(reverse("care:followup_list")).content.decode()
    assert "3 of them are overdue by more than 30 days" in page
    assert page.count("long overdue</span>") == 3
    year = timezone.localtime(stale[0].due_at).year
    assert f"{timezone.localtime(stale[0].due_at):%b} " in page and f", {year} " in page
    home = selectors.case_manager_home(manager, at())
    assert home["overdue"][0] == yesterday and home["overdue_count"] == 4
