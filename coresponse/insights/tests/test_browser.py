"""The dashboard and the public page in Debian's chromium, at phone and desktop size.

Screenshots: test-artifacts/screenshots/insights-<page>-<size>.png. The tiles show their
numerator and denominator on focus (keyboard) as on hover; no page scrolls sideways on a phone.
"""

import pytest

from coresponse.field.tests.world import PASSWORD
from coresponse.insights.tests.data import county
from coresponse.web.tests.browser import BROWSER, SHOTS, SIZES, no_sideways_scroll, sign_in

pytestmark = BROWSER

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
            sign_in(page, base, "manager", PASSWORD)
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
