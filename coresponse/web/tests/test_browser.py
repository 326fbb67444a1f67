"""Every role signs in through the real form in Debian's chromium and lands on its home page.

Screenshots at phone (390×844) and desktop (1440×900) size go to
test-artifacts/screenshots/<role>-<size>.png. At phone size the page must not scroll sideways.
"""

from pathlib import Path

import pytest

from coresponse.web.tests.factories import PASSWORD, add_history, build_county

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)",
    ),
]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Sign-in still goes through the real form; only the deliberately slow hash is swapped."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(monkeypatch):
    # live_server runs the app in a thread while Playwright's sync API holds an event loop here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


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
            sign_in(page, base, username)  # through the form, at phone size
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
        sign_in(page, base, "clinician")
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
