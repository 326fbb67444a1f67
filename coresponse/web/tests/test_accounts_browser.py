"""Sign-in in Debian's chromium: an authenticator app (the test computes the code from the key
the enrolment page shows), a passkey (Chromium's virtual authenticator through CDP), the
lockout on the sixth try, and the idle lock with a shortened timeout.

Screenshots at 390x844 and 1440x900 in test-artifacts/screenshots/account-*.png: the sign-in
page, the enrolment choice, the authenticator-app page, the backup codes, the second step, the
account page, the locked-out message and the lock screen.
"""

import base64
import re

import pytest
from django_otp.oath import TOTP

from coresponse.agencies.models import MfaRequirement, Passkey, Role
from coresponse.dispatch.tests import test_board_browser as board
from coresponse.privacy.models import AuditEvent
from coresponse.web.tests import browser as shell
from coresponse.web.tests.factories import PASSWORD, build_county

one_request_at_a_time = board.one_request_at_a_time


@pytest.fixture(autouse=True)
def in_turn(one_request_at_a_time):
    """Page loads, htmx polls and idle.js's pings take turns on SQLite's one test connection."""


pytestmark = [*shell.BROWSER, pytest.mark.django_db(transaction=True)]
PHONE, DESKTOP = shell.SIZES["phone"], shell.SIZES["desktop"]


def shot(page, name: str) -> None:
    """The page at phone and desktop size; it must not scroll sideways on the phone."""
    shell.SHOTS.mkdir(parents=True, exist_ok=True)
    start = page.viewport_size
    for size, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(shell.SHOTS / f"account-{name}-{size}.png"), full_page=True)
        if size == "phone":
            assert shell.no_sideways_scroll(page), f"{name} scrolls sideways on a phone"
    page.set_viewport_size(start)


def password_step(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page):
    page.locator(".nav-narrow summary").click()
    page.locator(".nav-narrow .signout button").click()
    page.wait_for_url(re.compile(r".*/login/$"))


def code_from_page(page, steps_ahead=0) -> str:
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key, drift=steps_ahead).token():06d}"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": PHONE[0], "height": PHONE[1]})
    yield context
    context.close()


def test_enrol_an_authenticator_app_when_the_role_requires_it_then_sign_in(live_server, phone):
    w = build_county(usable_passwords=True)
    MfaRequirement.objects.create(agency=w.agencies["cedar-bhc"], role=Role.CLINICIAN)
    base, page = live_server.url, phone.new_page()
    page.goto(f"{base}/login/")
    assert page.get_by_role("note").get_by_text("Authorized users only.").is_visible()
    shot(page, "login")

    password_step(page, base, "clinician")
    page.wait_for_url(re.compile(r".*/account/setup/\?next=%2F$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Set up a second factor"
    shot(page, "setup")
    page.get_by_role("link", name="Use an authenticator app").click()
    page.wait_for_url(re.compile(r".*/account/totp/"))
    assert page.locator("svg.qr").is_visible()
    shot(page, "totp")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(code_from_page(page))
    page.get_by_role("button", name="Confirm").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Backup codes"
    codes = page.locator(".codes code").all_inner_texts()
    assert len(codes) == 10 and secret not in page.content()
    shot(page, "backup-codes")
    page.get_by_role("link", name="I have saved them").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Clinical worklist"

    sign_out(page)
    password_step(page, base, "clinician")
    page.wait_for_url(re.compile(r".*/login/verify/"))
    shot(page, "verify")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Verify").click()
    assert page.get_by_role("alert").get_by_text("That code is not right").is_visible()
    page.get_by_label("Code from your authenticator app").fill(codes[0])  # a backup code
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/")
    assert AuditEvent.objects.filter(detail="signed in (password + backup code)").exists()

    page.goto(f"{base}/account/")
    assert page.get_by_text("Required", exact=True).is_visible()
    assert page.get_by_text("9 of 10 left").is_visible()
    shot(page, "account")


def test_sign_in_with_a_passkey_from_a_virtual_authenticator(live_server, phone):
    build_county(usable_passwords=True)
    base, page = live_server.url, phone.new_page()
    cdp = phone.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    password_step(page, base, "casemanager")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/account/")
    page.get_by_label("Name for a new passkey").fill("Patrol laptop")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_url(re.compile(r".*/account/backup-codes/\?first=1"))
    assert len(page.locator(".codes code").all_inner_texts()) == 10
    page.get_by_role("link", name="I have saved them").click()
    page.wait_for_url(f"{base}/account/")
    assert page.locator(".passkey-list").get_by_text("Patrol laptop").is_visible()

    sign_out(page)
    password_step(page, base, "casemanager")
    page.wait_for_url(re.compile(r".*/login/verify/"))
    page.get_by_role("button", name="Use your passkey").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Follow-up worklist"
    assert AuditEvent.objects.filter(detail="signed in (password + passkey)").exists()
    # The authenticator signed twice (registration, then the sign-in), and the server kept
    # its count, so a cloned authenticator replaying an old count would be refused.
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert stored["credentials"][0]["signCount"] >= 1
    assert Passkey.objects.get().sign_count == stored["credentials"][0]["signCount"]

    # The phone menu: the account, Lock and Sign out.
    page.locator(".nav-narrow summary").click()
    panel = page.locator(".nav-panel")
    assert panel.get_by_role("link", name="Lock").is_visible()
    assert panel.get_by_role("link", name="Amara Bello").get_attribute("href") == "/account/"
    page.screenshot(path=str(shell.SHOTS / "account-menu-phone.png"))
    panel.get_by_role("link", name="Lock").click()
    page.wait_for_url(re.compile(r".*/lock/\?by=user&next=/$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Screen locked"


def test_the_sixth_try_is_refused_in_the_browser(live_server, phone):
    build_county(usable_passwords=True)
    base, page = live_server.url, phone.new_page()
    for _ in range(5):
        password_step(page, base, "officer", "not the password at all")
    alert = page.get_by_role("alert")
    assert "locked until" in alert.inner_text()
    password_step(page, base, "officer")  # the right password
    assert "locked until" in page.get_by_role("alert").inner_text()
    assert page.url.endswith("/login/")
    shot(page, "locked-out")


def test_an_idle_page_locks_itself_and_unlocks_where_it_was(live_server, phone, settings):
    build_county(usable_passwords=True)
    settings.CORESPONSE_IDLE_LOCK_MINUTES = 0.05  # three seconds
    base, page = live_server.url, phone.new_page()
    password_step(page, base, "officer")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/people/")
    assert page.get_by_role("heading", level=1).is_visible()
    # Nobody touches it: it hides and goes to the lock screen by itself.
    page.wait_for_url(re.compile(r".*/lock/\?next=%2Fpeople%2F"), timeout=15_000)
    assert page.get_by_role("heading", level=1).inner_text() == "Screen locked"
    assert page.locator(".topbar").count() == 0
    settings.CORESPONSE_IDLE_LOCK_MINUTES = 30  # long enough to look at it
    shot(page, "lock")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url(f"{base}/people/")
    assert AuditEvent.objects.filter(detail__startswith="session locked").exists()
    assert AuditEvent.objects.filter(detail="unlocked the session (password)").exists()
