"""A program manager tries, edits and reviews a protocol in Debian's chromium, and the call page
explains a triage in one sentence; at phone and desktop size, without sideways scrolling.

Screenshots go to test-artifacts/screenshots/protocol-*.png and call-triage-*.png.
"""

from pathlib import Path

import pytest

from coresponse.dispatch.models import Call
from coresponse.dispatch.services.triage import triage_call
from coresponse.dispatch.tests.triage_world import AFTERNOON, build_world

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
PASSWORD = "protocols-2026"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)",
    ),
]


@pytest.fixture
def browser(monkeypatch, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # live_server runs the app in a thread while Playwright's sync API holds an event loop here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
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


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", sorted(SIZES))
def test_manager_tries_edits_and_reviews_a_protocol(live_server, browser, size):
    world = build_world(password=PASSWORD)
    protocol = world["protocols"]["ride"]
    call = Call.objects.create(
        external_id="C-2026-0042",
        received_at=AFTERNOON,
        source="911",
        call_type="127D_Suicide Threat",
        priority=2,
        address="1418 W Mulberry St",
        narrative="Caller says her brother sent goodbye texts and wants to die. Denies weapons.",
        program=world["programs"]["ride"],
    )
    triage_call(call)
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    base = live_server.url
    try:
        page = context.new_page()
        sign_in(page, base, "manager")

        # The call page says why, in one sentence, and links to the rule.
        page.goto(f"{base}/calls/{call.pk}/")
        panel = page.locator(".triage-panel")
        assert panel.get_by_text("Co-responder team: suicidal-ideation call during").is_visible()
        page.screenshot(path=str(SHOTS / f"call-triage-{size}.png"), full_page=False)
        assert fits(page)
        panel.get_by_role("link", name="Riverton ride-along, version 1").click()
        page.wait_for_url(f"{base}/calls/protocols/{protocol.pk}/v1/#rule-R1")

        # Try it (htmx swaps the result in place).
        page.get_by_label("Call type").fill("SERVICE - WELFARE CHECK")
        page.get_by_label("Priority").select_option("3")
        page.get_by_label("Received").fill("2026-10-27T15:00")
        page.get_by_label("Narrative").fill("Mother worried, son off his meds, no weapons")
        page.get_by_role("button", name="Try").click()
        result = page.locator("#try-result .try-sentence")
        result.wait_for()
        assert result.inner_text().startswith(
            "Co-responder team: welfare check with a mental-health concern during program hours"
        )
        page.locator("#try").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"protocol-{size}.png"), full_page=True)
        assert fits(page)

        # Edit: a typo is shown inline with its line; then a real change is saved as v2.
        page.get_by_role("link", name="Edit").click()
        text = page.locator("textarea.proto-text")
        original = text.input_value()
        text.fill(original.replace("keywords_any = [", "keyword_any = [", 1))
        page.get_by_role("button", name="Check").click()
        problems = page.locator("#problems")
        assert "did you mean 'keywords_any'?" in problems.inner_text()
        problems.get_by_role("link", name="line 15").click()  # selects the line in the text
        selected = text.evaluate("a => a.value.slice(a.selectionStart, a.selectionEnd)")
        assert selected == "keyword_any = ["
        page.screenshot(path=str(SHOTS / f"protocol-edit-problems-{size}.png"), full_page=True)
        assert fits(page)
        text.fill(original.replace('"lonely", ', ""))
        page.get_by_label("What changed, and why").fill("'Lonely' alone is not a 988 call.")
        page.get_by_role("button", name="Save as version 2").click()
        page.wait_for_url(f"{base}/calls/protocols/{protocol.pk}/")
        assert page.get_by_text("Saved as version 2.").is_visible()

        page.get_by_role("link", name="History").click()
        assert page.get_by_text('rule R2 keywords_any: removed "lonely"').is_visible()
        page.get_by_text("Text changes").first.click()
        page.screenshot(path=str(SHOTS / f"protocol-history-{size}.png"), full_page=True)
        assert fits(page)
        assert protocol.versions.count() == 2
    finally:
        context.close()
