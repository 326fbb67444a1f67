"""The dashboard and the public page in Debian's chromium, at phone and desktop size.

Screenshots: test-artifacts/screenshots/insights-<page>-<size>.png. The tiles show their
numerator and denominator on focus (keyboard) as on hover; no page scrolls sideways on a phone.
"""

from pathlib import Path

import pytest

from coresponse.field.tests.world import PASSWORD
from coresponse.insights.tests.data import county

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing"),
]


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    """Sign-in still goes through the real form; only the deliberately slow hash is swapped."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server thread + Playwright
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
        )
        try:
            yield launched
        finally:
            launched.close()


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


PERIOD = "?from=2026-09-01&to=2026-10-31"


@pytest.mark.django_db(transaction=True)
def test_dashboard_and_transparency_at_phone_and_desktop(live_server, browser):
    county(usable_passwords=True, days=60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    for size, (w, h) in SIZES.items():
        context = browser.new_context(viewport={"width": w, "height": h})
        try:
            page = context.new_page()
            sign_in(page, base, "manager")
            page.goto(f"{base}/insights/{PERIOD}")
            assert page.get_by_role("heading", level=1).inner_text() == "Program dashboard"
            tile = page.locator(".tile").filter(has_text="Without arrest").first
            tip = tile.locator(".tile-tip")
            assert not tip.is_visible()
            tile.focus()  # the keyboard reaches the numerator and denominator too
            assert tip.is_visible() and "Denominator:" in tip.inner_text()
            assert page.locator("svg.chart-svg").count() >= 2
            # The breakdowns and equity view follow the page (htmx) for a new question.
            equity = page.get_by_role("heading", name="For whom: outcomes by group", exact=True)
            equity.wait_for(timeout=15_000)
            assert page.locator("details.breakdown").count() >= 7
            page.screenshot(path=str(SHOTS / f"insights-dashboard-{size}.png"), full_page=True)
            assert no_sideways_scroll(page), f"the dashboard scrolls sideways at {size}"

            page.get_by_role("link", name="Evaluation pack").click()
            assert page.get_by_role("heading", level=1).inner_text() == "Evaluation pack"
            page.screenshot(path=str(SHOTS / f"insights-evaluation-{size}.png"), full_page=True)
            assert no_sideways_scroll(page)

            anonymous = browser.new_context(viewport={"width": w, "height": h})
            public = anonymous.new_page()
            public.goto(f"{base}/transparency/")
            assert "How our crisis response is doing" in public.content()
            assert "Ann Alder" not in public.content()
            public.screenshot(path=str(SHOTS / f"insights-transparency-{size}.png"), full_page=True)
            assert no_sideways_scroll(public), f"the public page scrolls sideways at {size}"
            anonymous.close()
        finally:
            context.close()
