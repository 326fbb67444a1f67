"""Calls: who sees which, the list's filters and pages, the detail, and the demo-safe "now"."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from coresponse.dispatch.models import Assignment, Call
from coresponse.dispatch.selectors import as_of, calls_per_day, queue, today_summary, visible_calls


def ids(calls):
    return {c.external_id for c in calls}


def test_partners_see_their_programs_calls_and_dispatchers_see_all(county):
    users = county["users"]
    assert ids(visible_calls(users["officer"])) == {"C-100"}
    assert ids(visible_calls(users["paramedic"])) == {"C-200"}
    assert ids(visible_calls(users["clinician"])) == {"C-100", "C-200"}
    assert ids(visible_calls(users["dispatcher"])) == {"C-100", "C-200", "C-300"}


def test_a_hidden_call_is_404_like_a_missing_one(client, county):
    client.force_login(county["users"]["officer"])
    hidden = client.get(reverse("dispatch:call_detail", args=[county["calls"]["scrt"].pk]))
    missing = client.get(reverse("dispatch:call_detail", args=[424242]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_detail_shows_the_call_and_its_assignments(client, county):
    client.force_login(county["users"]["officer"])
    response = client.get(reverse("dispatch:call_detail", args=[county["calls"]["ride"].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Welfare check" in body and "12 Elm St" in body and "Unit 1" in body
    assert "Dispatched" in body


def test_list_filters_and_search(client, county):
    client.force_login(county["users"]["dispatcher"])
    url = reverse("dispatch:call_list")

    def listed(**params):
        body = client.get(url, params).content.decode()
        return {x for x in ("C-100", "C-200", "C-300") if x in body}

    assert listed() == {"C-100", "C-200", "C-300"}
    assert listed(source="988") == {"C-200"}
    assert listed(priority=4) == {"C-300"}
    assert listed(program=county["programs"]["ride"].pk) == {"C-100"}
    assert listed(q="oak") == {"C-200"}
    assert listed(q="c-3") == {"C-300"}
    assert listed(q="welfare") == {"C-100"}
    assert listed(source="bogus", priority="x", page="9") == {"C-100", "C-200", "C-300"}


def test_list_is_newest_first_and_paginated(client, county):
    last = county["calls"]["ride"].received_at
    Call.objects.bulk_create(
        Call(
            external_id=f"B-{i:03}",
            received_at=last - timedelta(minutes=i + 1),
            source="911",
            call_type="Check",
        )
        for i in range(60)
    )
    client.force_login(county["users"]["dispatcher"])
    first = client.get(reverse("dispatch:call_list")).content.decode()
    assert "Page 1 of 2" in first
    assert first.index("C-100") < first.index("B-000") < first.index("B-001")
    second = client.get(reverse("dispatch:call_list"), {"page": 2}).content.decode()
    assert "C-300" in second and "B-000" not in second


def test_list_query_count_does_not_grow_with_rows(client, county, django_assert_max_num_queries):
    client.force_login(county["users"]["dispatcher"])
    url = reverse("dispatch:call_list")
    client.get(url)
    with django_assert_max_num_queries(10) as few:
        client.get(url)
    team, last = county["team"], county["calls"]["ride"].received_at
    calls = Call.objects.bulk_create(
        Call(external_id=f"B-{i}", received_at=last, source="911", call_type="Check")
        for i in range(45)
    )
    Assignment.objects.bulk_create(Assignment(call=c, team=team, dispatched_at=last) for c in calls)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("B-") >= 45


def test_as_of_anchors_on_a_stale_data_set_only(county):
    at = as_of()
    assert at.anchored and at.now == county["calls"]["ride"].received_at
    assert at.today.isoformat() == "2026-10-31"
    Call.objects.create(
        external_id="C-now", received_at=timezone.now(), source="911", call_type="Check"
    )
    fresh = as_of()
    assert not fresh.anchored


def test_today_queue_and_per_day_counts(county):
    at = as_of()
    dispatcher = county["users"]["dispatcher"]
    summary = today_summary(dispatcher, at)
    assert summary["total"] == 2  # C-100 and C-200 on Oct 31; C-300 three days before
    assert summary["active"] == 1 and summary["waiting"] == 1 and summary["urgent"] == 2
    assert [c.external_id for c in queue(dispatcher, at)] == ["C-200", "C-100"]  # P1 first
    per_day = calls_per_day(at, 30)
    assert len(per_day) == 30 and per_day[-1] == (at.today, 2)
    assert sum(n for _, n in per_day) == 3
