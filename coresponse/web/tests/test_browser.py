"""Every role signs in through the real form in Debian's chromium and lands on its home page.

Screenshots at phone (390×844) and desktop (1440×900) size go to
test-artifacts/screenshots/<role>-<size>.png. At phone size the page must not scroll sideways.
"""

import pytest

from coresponse.web.tests.browser import BROWSER, SHOTS, SIZES, no_sideways_scroll, sign_in
from coresponse.web.tests.factories import PASSWORD, add_history, build_county

HEADINGS = {
    "dispatcher": "Dispatch board",
    "officer": "Recent encounters",
    "deputy": "Recent encounters",
    "clinician": "Clinical worklist",
    "paramedic": "Your team's encounters",
    "peer": "Your team's encounters",
    "casemanager": "Follow-up worklist",
    "supervisor": "Last 30 days at a glance",
    "manager": "Last 30 days at a glance",
    "admin": "Agency administration",
    "auditor": "Audit trail",
}


pytestmark = BROWSER


@pytest.mark.django_db(transaction=True)
def test_every_role_signs_in_and_sees_its_home(live_server, browser):
    add_history(build_county(usable_passwords=True))
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    contexts = {
        size: browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1)
        for size, (w, h) in SIZES.items()
    }
    try:
        login_page = contexts["phone"].new_page()
        login_page.goto(f"{base}/login/")
        assert login_page.get_by_text("Authorized users only.").is_visible()
        login_page.screenshot(path=str(SHOTS / "login-phone.png"), full_page=True)
        assert no_sideways_scroll(login_page)
        login_page.close()

        phone, desktop = contexts["phone"], contexts["desktop"]
        for username, heading in HEADINGS.items():
            phone.clear_cookies()
            page = phone.new_page()
            sign_in(page, base, username, PASSWORD)  # through the form, at phone size
            h1 = page.get_by_role("heading", level=1)
            assert h1.is_visible() and h1.inner_text() == heading
            page.screenshot(path=str(SHOTS / f"{username}-phone.png"), full_page=True)
            assert no_sideways_scroll(page), f"{username} scrolls sideways on a phone"
            # The menu is a <details>: it opens without JavaScript and offers sign-out.
            page.get_by_text("Menu", exact=True).click()
            assert page.locator(".nav-narrow .signout button").is_visible()
            page.close()

            # The same session at desktop size.
            desktop.clear_cookies()
            desktop.add_cookies(phone.cookies())
            page = desktop.new_page()
            page.goto(f"{base}/")
            h1 = page.get_by_role("heading", level=1)
            assert h1.is_visible() and h1.inner_text() == heading
            assert page.locator(".account-wide").get_by_text("Sign out").is_visible()
            assert not page.locator(".nav-narrow").is_visible()
            page.screenshot(path=str(SHOTS / f"{username}-desktop.png"), full_page=True)
            page.close()
    finally:
        for context in contexts.values():
            context.close()


@pytest.mark.django_db(transaction=True)
def test_detail_pages_fit_a_phone(live_server, browser):
    county = build_county(usable_passwords=True)
    add_history(county)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, base, "clinician", PASSWORD)
        for name, path in (
            ("encounter", f"/encounters/{county.encounters['ann'].pk}/"),
            ("encounters", "/encounters/"),
            ("call", f"/calls/{county.calls['ann'].pk}/"),
            ("calls", "/calls/"),
            ("person", f"/people/{county.persons['ann'].pk}/"),
            ("people", "/people/"),
        ):
            page.goto(base + path)
            page.screenshot(path=str(SHOTS / f"clinician-{name}-phone.png"), full_page=True)
            assert no_sideways_scroll(page), f"{path} scrolls sideways on a phone"
        page.set_viewport_size({"width": 1440, "height": 900})
        for name, path in (
            ("encounter", f"/encounters/{county.encounters['ann'].pk}/"),
            ("calls", "/calls/"),
        ):
            page.goto(base + path)
            page.screenshot(path=str(SHOTS / f"clinician-{name}-desktop.png"), full_page=True)
    finally:
        context.close()
