"""A reviewer clears a queue of uncertain pairs from the keyboard in Debian's chromium, at phone
and desktop size, and sees the count of people change. Screenshots in
test-artifacts/screenshots/review-*.png."""

from datetime import date

import pytest

from coresponse.people import services
from coresponse.people.linkage.model import default_parameters
from coresponse.people.models import IdentityLink, LinkStatus
from coresponse.web.tests.browser import BROWSER, SHOTS, no_sideways_scroll
from coresponse.web.tests.factories import build_county

pytestmark = BROWSER

# Two records of the clinic each, drifting the way real records do; the default model is unsure
# about every pair (between the review and the automatic threshold).
PAIRS = [
    (("Ashley", "Nguyen", date(1995, 5, 5), "970-555-1200", ""),
     ("Ashley", "Nguyen", date(1995, 5, 6), "970-555-4411", "")),
    (("Dustin", "King", date(1998, 12, 31), "", "1899 Lemay Ave, Riverton, CO 80525"),
     ("Dustin", "King", None, "(970) 555-9292", "")),
    (("Jim", "Tran", date(1966, 1, 30), "", "310 Oak Ave, Riverton, CO 80525"),
     ("James", "Tran", date(1967, 1, 30), "", "")),
    (("Maria", "Lucero", date(1990, 6, 1), "970-555-0199", ""),
     ("Maria", "Lucero", date(1991, 6, 1), "970-555-7777", "")),
]  # fmt: skip


def queue_of_pairs(county):
    """The pairs, linked by the worker's own code with the default model: all wait for review."""
    services.save_model(
        default_parameters(), backend="default", auto_threshold=0.95, review_threshold=0.5,
        records=0, summary={},
    )  # fmt: skip
    from coresponse.people.matching import forget_model

    forget_model()
    clinic = county.agencies["cedar-bhc"]
    ids = []
    for n, (left, right) in enumerate(PAIRS):
        for side, (first, last, dob, phone, address) in enumerate((left, right)):
            person = services.create_person(
                external_id=f"bhc-review-{n}-{side}", agency=clinic, first_name=first,
                last_name=last, dob=dob, phone=phone, address=address,
            )  # fmt: skip
            ids.append(person.pk)
    services.link_records(ids)
    scores = sorted(IdentityLink.objects.values_list("score", flat=True), reverse=True)
    assert len(scores) == 4 and all(0.5 <= p < 0.95 for p in scores), scores


def signed_in(context, base, user):
    """The reviewer's session in the browser (signing in through the form is tested with every
    role in test_browser.py)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base}])
    page = context.new_page()
    page.goto(f"{base}/")
    return page


def waiting() -> int:
    return IdentityLink.objects.filter(status=LinkStatus.REVIEW).count()


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_clears_the_queue_from_the_keyboard(live_server, browser):
    county = build_county(usable_passwords=True)
    queue_of_pairs(county)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    desktop = browser.new_context(viewport={"width": 1440, "height": 900})
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = signed_in(desktop, base, county.users["admin"])
        page.get_by_role("link", name="Matches").first.click()
        page.wait_for_url(f"{base}/review/")
        assert page.get_by_role("heading", name="Are these the same person?").is_visible()
        people = page.locator("#review-counts .stat-value").nth(1).inner_text()
        page.screenshot(path=str(SHOTS / "review-desktop.png"), full_page=True)
        first = page.locator("#review-pair .compare tbody").inner_text()
        assert "Jim" in first and "James" in first  # the most probable pair first

        page.keyboard.press("y")  # same person
        page.wait_for_selector("text=now count as one person")
        assert "Ashley" in page.locator("#review-pair .compare").inner_text()
        assert page.locator("#review-counts .stat-value").first.inner_text() == "3"
        after = page.locator("#review-counts .stat-value").nth(1).inner_text()
        assert int(after) == int(people) - 1  # one human fewer: the count on the page changed
        page.keyboard.press("n")  # different people
        page.wait_for_selector("text=stay two people")
        page.keyboard.press("s")  # skip: it stays in the queue
        page.wait_for_selector("text=Skipped")
        page.screenshot(path=str(SHOTS / "review-desktop-after.png"), full_page=True)
        assert waiting() == 2
        page.close()

        page = signed_in(phone, base, county.users["admin"])
        page.goto(f"{base}/review/")
        page.screenshot(path=str(SHOTS / "review-phone.png"), full_page=True)
        assert no_sideways_scroll(page), "the review page scrolls sideways on a phone"
        page.get_by_role("button", name="Same person").click()
        page.wait_for_selector("text=now count as one person")
        page.get_by_role("button", name="Same person").click()
        page.wait_for_selector("text=The queue is clear")
        assert waiting() == 0 and no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "review-phone-clear.png"), full_page=True)

        link = IdentityLink.objects.filter(status=LinkStatus.CONFIRMED).first()
        page.goto(f"{base}/review/people/{link.person_a_id}/")
        assert page.get_by_text("2 records count as one person").is_visible()
        assert no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "review-cluster-phone.png"), full_page=True)
        statuses = sorted(IdentityLink.objects.values_list("status", flat=True))
        assert statuses == ["confirmed", "confirmed", "confirmed", "rejected"]
    finally:
        desktop.close()
        phone.close()
