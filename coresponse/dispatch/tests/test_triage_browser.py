"""A program manager tries, edits and reviews a protocol in Debian's chromium, and the call page
explains a triage in one sentence; at phone and desktop size, without sideways scrolling.

Screenshots go to test-artifacts/screenshots/protocol-*.png and call-triage-*.png.
"""

import pytest

from coresponse.dispatch.models import Call
from coresponse.dispatch.services.triage import triage_call
from coresponse.dispatch.tests.triage_world import AFTERNOON, build_world
from coresponse.web.tests.browser import BROWSER, SHOTS, SIZES, no_sideways_scroll, sign_in

PASSWORD = "protocols-2026"

pytestmark = BROWSER


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
        sign_in(page, base, "manager", PASSWORD)

        # The call page says why, in one sentence, and links to the rule.
        page.goto(f"{base}/calls/{call.pk}/")
        panel = page.locator(".triage-panel")
        assert panel.get_by_text("Co-responder team: suicidal-ideation call during").is_visible()
        page.screenshot(path=str(SHOTS / f"call-triage-{size}.png"), full_page=False)
        assert no_sideways_scroll(page)
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
        assert no_sideways_scroll(page)

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
        assert no_sideways_scroll(page)
        text.fill(original.replace('"lonely", ', ""))
        page.get_by_label("What changed, and why").fill("'Lonely' alone is not a 988 call.")
        page.get_by_role("button", name="Save as version 2").click()
        page.wait_for_url(f"{base}/calls/protocols/{protocol.pk}/")
        assert page.get_by_text("Saved as version 2.").is_visible()

        page.get_by_role("link", name="History").click()
        assert page.get_by_text('rule R2 keywords_any: removed "lonely"').is_visible()
        page.get_by_text("Text changes").first.click()
        page.screenshot(path=str(SHOTS / f"protocol-history-{size}.png"), full_page=True)
        assert no_sideways_scroll(page)
        assert protocol.versions.count() == 2
    finally:
        context.close()
