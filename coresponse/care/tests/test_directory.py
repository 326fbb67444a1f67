"""The resource directory: opening hours as written and as stored, open now (overnight, 24/7,
unknown), distance, and the search by need, eligibility, age and words, from the API and the
staff page."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from coresponse.care import selectors
from coresponse.care.hours import ALWAYS, format_hours, parse_hours
from coresponse.care.models import Resource
from coresponse.care.selectors import Search, haversine_km, is_open, search_resources

TZ = ZoneInfo("America/Denver")
MONDAY_NOON = datetime(2026, 11, 2, 12, 0, tzinfo=TZ)
MONDAY_3AM = datetime(2026, 11, 2, 3, 0, tzinfo=TZ)
SATURDAY_NOON = datetime(2026, 11, 7, 12, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("Mon-Fri 08:00-18:00", [{"days": [0, 1, 2, 3, 4], "open": "08:00", "close": "18:00"}]),
        ("Mon-Fri 8:00-18:00; Sat 09:00-13:00",
         [{"days": [0, 1, 2, 3, 4], "open": "08:00", "close": "18:00"},
          {"days": [5], "open": "09:00", "close": "13:00"}]),
        ("Daily 16:00-09:00", [{"days": list(range(7)), "open": "16:00", "close": "09:00"}]),
        ("Tue,Thu 18:00-20:00", [{"days": [1, 3], "open": "18:00", "close": "20:00"}]),
        ("Sat-Mon 10:00-14:00", [{"days": [0, 5, 6], "open": "10:00", "close": "14:00"}]),
        ("24/7", ALWAYS),
    ],
)  # fmt: skip
def test_hours_as_people_write_them(text, rules):
    assert parse_hours(text) == rules


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Mon-Fri 8am-6pm", "is not like 'Mon-Fri 08:00-18:00'"),
        ("Mon-Fri 08:00-25:00", "'25:00' is not a time HH:MM (24-hour)"),
        ("Mo 08:00-18:00", "'Mo' is not a day"),
        ("Mon,Mon 08:00-09:00", "names a day twice"),
        ("Daily 08:00-08:00", "opens and closes at the same time"),
    ],
)
def test_bad_hours_say_why(text, reason):
    with pytest.raises(ValueError) as raised:
        parse_hours(text)
    assert reason in str(raised.value)


def test_hours_read_back_the_way_they_were_written():
    for text in (
        "Mon-Fri 08:00-18:00; Sat 09:00-13:00",
        "Daily 16:00-09:00",
        "Tue,Thu 18:00-20:00",
    ):
        assert format_hours(parse_hours(text)) == text


def entry(**values) -> Resource:
    return Resource(name="x", service_type="shelter", **values)


def test_open_now_by_the_local_clock():
    office = entry(opening_hours=parse_hours("Mon-Fri 08:00-18:00"))
    assert is_open(office, MONDAY_NOON) is True
    assert is_open(office, MONDAY_3AM) is False and is_open(office, SATURDAY_NOON) is False
    night = entry(opening_hours=parse_hours("Mon-Fri 22:00-06:00"))
    assert is_open(night, MONDAY_3AM) is False  # Sunday night is not a listed night
    assert is_open(night, datetime(2026, 11, 3, 3, 0, tzinfo=TZ)) is True  # Monday's night
    assert is_open(night, datetime(2026, 11, 7, 3, 0, tzinfo=TZ)) is True  # Friday's night
    assert is_open(entry(open_24_7=True), MONDAY_3AM) is True
    assert is_open(entry(), MONDAY_NOON) is None  # hours unknown: neither


def test_distance_is_the_great_circle():
    # One degree of a meridian is 111.195 km on the mean Earth radius (IUGG, 6371.0088 km).
    assert haversine_km(0.0, 0.0, 1.0, 0.0) == pytest.approx(111.195, abs=0.001)
    assert haversine_km(40.0, -105.0, 40.0, -104.0) == pytest.approx(85.18, abs=0.01)
    assert haversine_km(40.0, -105.0, 40.0, -105.0) == 0


@pytest.mark.django_db
def test_search_by_need_open_now_eligibility_age_words_and_distance(world):
    names = lambda found: [f.resource.name for f in found]  # noqa: E731
    assert names(search_resources(Search(need="shelter"), MONDAY_NOON)) == ["Harbor House"]
    # Monday noon: the overnight shelter is closed, the 24/7 unit and the weekday ones open.
    open_now = names(search_resources(Search(open_now=True), MONDAY_NOON))
    assert "Harbor House" not in open_now and "Pine Crisis Stabilization" in open_now
    assert "Cedar Recovery" in open_now
    assert names(search_resources(Search(eligibility="veterans"), MONDAY_NOON)) == [
        "Veterans Clinic"
    ]
    assert "Willow Youth Services" in names(search_resources(Search(age=15), MONDAY_NOON))
    assert "Cedar Recovery" not in names(search_resources(Search(age=15), MONDAY_NOON))
    assert names(search_resources(Search(q="youth services"), MONDAY_NOON)) == [
        "Willow Youth Services"
    ]
    near = search_resources(Search(latitude=40.5442, longitude=-105.0771), MONDAY_NOON)
    assert near[0].resource.name == "Cedar Recovery" and near[0].distance_km == 0
    assert near[-1].distance_km is None  # the entry without coordinates comes last
    assert [f.distance_km for f in near[:-1]] == sorted(f.distance_km for f in near[:-1])
    within = search_resources(
        Search(latitude=40.5442, longitude=-105.0771, within_km=3), MONDAY_NOON
    )
    assert all(f.distance_km <= 3 for f in within) and len(within) < len(near)


@pytest.mark.django_db
def test_the_api_searches_and_the_app_keeps_the_whole_directory(world, login):
    client = login("officer")
    whole = client.get("/api/v1/care/resources/").json()
    assert len(whole["resources"]) == Resource.objects.count()
    row = next(r for r in whole["resources"] if r["name"] == "Cedar Recovery")
    assert row["opening_hours"] and row["eligibility_tags"] == ["adults", "medicaid"]
    assert row["receives_referrals"] is True and row["available_today"] == 6
    found = client.get(
        "/api/v1/care/resources/", {"need": "shelter", "lat": "40.59", "lon": "-105.07"}
    ).json()["resources"]
    assert [r["name"] for r in found] == ["Harbor House"] and found[0]["distance_km"] < 1
    bad = client.get("/api/v1/care/resources/", {"need": "spa", "lat": "north"})
    assert bad.status_code == 400 and set(bad.json()) == {"need", "lat"}
    assert client.get("/api/v1/care/resources/").headers["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_staff_page_searches_too(world, login):
    page = (
        login("dispatcher").get(reverse("care:resource_list"), {"need": "youth"}).content.decode()
    )
    assert "Willow Youth Services" in page and "Harbor House" not in page
    assert "1 service matching" in page
    detail = login("provider").get(
        reverse("care:resource_detail", args=[world.resources["Cedar Recovery"].pk])
    )
    assert b"Received in Coresponse by Cedar Peer Network" in detail.content
    assert b'name="available_today"' in detail.content  # its own provider updates capacity


@pytest.mark.django_db
def test_only_the_provider_updates_capacity_today(world, login):
    recovery = world.resources["Cedar Recovery"]
    url = reverse("care:resource_detail", args=[recovery.pk])
    login("clinician").post(url, {"available_today": "1"})
    recovery.refresh_from_db()
    assert recovery.available_today == 6
    login("provider").post(url, {"available_today": "3"})
    recovery.refresh_from_db()
    assert recovery.available_today == 3 and recovery.available_updated_at is not None
    login("provider").post(url, {"available_today": "400"})  # more than its capacity of 40
    recovery.refresh_from_db()
    assert recovery.available_today == 3
    assert selectors.managed_resources(world.users["provider"]).count() == 2


@pytest.mark.django_db
def test_a_bad_search_on_the_page_says_why_and_shows_the_directory(world, login):
    page = login("officer").get(reverse("care:resource_list"), {"lat": "north"}).content.decode()
    assert "Not searched: lat: is not a number." in page and "Harbor House" in page
