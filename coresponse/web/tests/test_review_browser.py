"""A reviewer clears a queue of uncertain pairs from the keyboard in Debian's chromium, at phone
and desktop size, and sees the count of people change. Screenshots in
test-artifacts/screenshots/review-*.png."""

from datetime import date

import pytest

from coresponse.people import services
from coresponse.people.linkage.model import default_parameters
from coresponse.people.models import IdentityLink, LinkStatus
from coresponse.web.tests.factories import build_county
from coresponse.web.tests.test_browser import CHROMIUM, SHOTS, browser, no_sideways_scroll

__all__ = ["browser"]  # the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"
    ),
]

# Two records of one agency each, drifting the way real records do.
PAIRS = [
    (("Robert", "Smith", date(1974, 3, 2), "(970) 555-0142", "1423 Elm St, Riverton, CO 80521"),
     ("Bob", "Smith", date(1974, 2, 3), "", "1423 Elm Street, Riverton, CO 80521")),
    (("Maria", "Lucero", date(1990, 6, 1), "970-555-0199", ""),
     ("MARIA", "LUCERO", None, "970-555-0199", "88 Pine Ct, Riverton, CO 80524")),
    (("Katherine", "Begay", date(2001, 9, 14), "", "Unhoused"),
     ("Katie", "Begay", date(2001, 9, 14), "970-555-3030", "")),
    (("James", "Tran", date(1966, 1, 30), "970-555-7001", "310 Oak Ave, Riverton, CO 80525"),
     ("Jim", "Tran", date(1967, 1, 30), "970-555-7010", "310 Oak Ave, Riverton, CO 80525")),
]  # fmt: skip


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def queue_of_pairs(county):
    model = services.save_model(
        default_parameters(), backend="default", auto_threshold=0.95, review_threshold=0.5,
        records=0, summary={},
    )  # fmt: skip
    from coresponse.people.matching import forget_model

    forget_model()
    clinic = county.agencies["cedar-bhc"]
    found = []
    for n, (left, right) in enumerate(PAIRS):
        a, b = (
            services.create_person(
                external_id=f"bhc-review-{n}-{side}", agency=clinic, first_name=first,
                last_name=last, dob=dob, phone=phone, address=address,
            )  # fmt: skip
            for side, (first, last, dob, phone, address) in enumerate((left, right))
        )
        found.append((a.pk, b.pk, 0.9 - n * 0.1, []))
    # All four wait for review, most probable first.
    services.write_links(found, model, auto_threshold=1.0, review_threshold=0.0)


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
        page.screenshot(path=str(SHOTS / "review-debug.png"))
        page.get_by_role("link", name="Identity review").first.click()
        page.wait_for_url(f"{base}/review/")
        assert page.get_by_role("heading", name="Are these the same person?").is_visible()
        people = page.locator("#review-counts .stat-value").nth(1).inner_text()
        page.screenshot(path=str(SHOTS / "review-desktop.png"), full_page=True)
        first = page.locator("#review-pair .compare tbody").inner_text()
        assert "Robert" in first and "Bob" in first

        page.keyboard.press("y")  # same person
        page.wait_for_selector("text=now count as one person")
        assert "Maria" in page.locator("#review-pair .compare").inner_text()
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
