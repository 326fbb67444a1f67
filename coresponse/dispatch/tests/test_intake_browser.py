"""A dispatcher takes a call with the keyboard only, in Debian's chromium, at phone and desktop
size: the caller's history appears while typing, Ctrl+Enter saves, the call page follows.

Screenshots go to test-artifacts/screenshots/call-form-*.png.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from coresponse.dispatch.models import Call
from coresponse.web.tests.browser import BROWSER, SHOTS, sign_in

PASSWORD = "keyboard-only-2026"

pytestmark = BROWSER


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("size", "width", "height"), [("phone", 390, 844), ("desktop", 1440, 900)])
def test_take_a_call_with_the_keyboard_only(live_server, browser, county, size, width, height):
    dispatcher = county["users"]["dispatcher"]
    dispatcher.set_password(PASSWORD)
    dispatcher.save()
    now = timezone.now()
    for i in range(2):  # two earlier calls: this one makes three in 90 days
        Call.objects.create(
            external_id=f"EARLIER-{i}",
            received_at=now - timedelta(days=10 + i),
            source="911",
            call_type="Welfare check",
            caller_phone="3035550142",
        )
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "dispatcher", PASSWORD)
        page.goto(f"{live_server.url}/calls/new/")
        assert focused(page) == "id_address"  # typing starts at once
        page.screenshot(path=str(SHOTS / f"call-form-{size}.png"), full_page=True)

        # A first Enter with almost nothing typed: clear errors, nothing lost, focus on the fix.
        page.keyboard.type("77 Birch Rd")
        page.keyboard.press("Enter")
        page.wait_for_selector(".intake-errors")
        assert page.locator("#id_address").input_value() == "77 Birch Rd"
        assert focused(page) == "id_call_type"
        page.screenshot(path=str(SHOTS / f"call-form-errors-{size}.png"), full_page=True)

        # Back to the phone field (Shift+Tab twice), then onward with Tab only.
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        assert focused(page) == "id_caller_phone"
        page.keyboard.type("+1 (303) 555-0142")
        history = page.locator("#caller-history")
        history.get_by_text("3 calls in 90 days").wait_for()
        assert "Frequent caller" in history.inner_text()
        page.keyboard.press("Tab")
        page.keyboard.type("Ann Alder")
        page.keyboard.press("Tab")
        assert focused(page) == "id_call_type"
        assert page.locator("#id_call_type_error").is_visible()
        page.keyboard.type("Welfare check")
        assert not page.locator("#id_call_type_error").is_visible()  # corrected, not wrong
        page.keyboard.press("Tab")
        assert focused(page) == "id_priority_0"
        page.keyboard.press("2")  # number keys pick the priority
        assert page.locator("#id_priority_1").is_checked()
        assert not page.locator("#id_priority_error").is_visible()
        assert focused(page) == "id_priority_1"
        page.keyboard.press("Tab")
        assert focused(page) == "id_narrative"
        page.keyboard.type("Neighbour worried, has not seen him in days.")
        page.keyboard.press("Enter")  # a new line in the narrative, not a save
        page.keyboard.type("No weapon mentioned.")
        assert "/calls/new/" in page.url
        page.screenshot(path=str(SHOTS / f"call-form-filled-{size}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        page.keyboard.press("Control+Enter")
        page.wait_for_url(re.compile(r"/calls/\d+/$"))
        call = Call.objects.get(address="77 Birch Rd")
        assert call.caller_phone == "3035550142" and call.frequent_caller and call.priority == 2
        assert (
            call.narrative == "Neighbour worried, has not seen him in days.\nNo weapon mentioned."
        )
        assert page.get_by_role("heading", level=1).inner_text() == "Welfare check"
        assert page.get_by_text("Frequent caller", exact=True).first.is_visible()
        assert page.get_by_text(call.triage.explanation).first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(SHOTS / f"call-saved-{size}.png"), full_page=True)
    finally:
        context.close()
