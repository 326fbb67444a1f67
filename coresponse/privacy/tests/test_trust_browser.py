"""Trust in Debian's chromium, as people use it: a clinician takes a person's consent with a
finger-drawn signature; an officer on a call looks the person up and gets the crisis alert the
consent allows; the auditor reads the accounting of who saw the record.

Screenshots: consent-*, alert-*, accounting-* and audit-log-* at phone and desktop size in
test-artifacts/screenshots/.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from coresponse.care.models import SafetyPlan
from coresponse.people.services import refresh_keys
from coresponse.privacy.models import AuditEvent, Consent
from coresponse.web.tests.browser import BROWSER, SHOTS, SIZES, no_sideways_scroll, sign_in
from coresponse.web.tests.factories import PASSWORD, build_county

pytestmark = BROWSER


def shoot(browser, base, username, pages):
    """Sign in once, then for each (path, name, prepare) open the page at phone and desktop
    size, run `prepare(page)`, screenshot it and check it does not scroll sideways."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, base, username, PASSWORD)
        for path, name, prepare in pages:
            for size, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                page.goto(base + path)
                if prepare:
                    prepare(page)
                page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
                assert no_sideways_scroll(page), (name, size)
    finally:
        context.close()


@pytest.mark.django_db(transaction=True)
def test_consent_then_crisis_alert_then_accounting(live_server, browser):
    from playwright.sync_api import expect

    w = build_county(usable_passwords=True)
    refresh_keys()  # the matcher's keys for records the test made with the ORM
    ann = w.persons["ann"]
    SafetyPlan.objects.create(
        person=ann,
        share_with_responders=True,
        responder_highlights="Speak slowly and give her space\nHer sister Jo can help calm her",
        de_escalation_tips="Sit down rather than stand over her",
        contact_name="Priya Natarajan",
        contact_role="Clinician, Cedar BHC",
        contact_phone="970-555-0110",
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url

    # 1. The clinician records Ann's consent, signing on the screen.
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, base, "clinician", PASSWORD)
        page.goto(f"{base}/people/{ann.pk}/")
        page.get_by_role("link", name="Consents").click()
        page.get_by_label("Disclose to").select_option(
            label="Crisis responders (police, EMS, fire, 911, 988)"
        )
        page.get_by_label("Contact plan").check()
        page.get_by_label("Emergency response").check()
        page.get_by_label("Signed by").fill("Ann Alder")
        page.get_by_label("Expires on").fill(
            (timezone.localdate() + timedelta(days=365)).isoformat()
        )
        pad = page.locator("#signature-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.7)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(
                box["x"] + 20 + step * 25, box["y"] + box["height"] * (0.7 - step % 3 * 0.15)
            )
        page.mouse.up()
        page.get_by_label("I told the person they may revoke").check()
        page.screenshot(path=str(SHOTS / "consent-form-phone.png"), full_page=True)
        page.get_by_role("button", name="Save consent").click()
        expect(page.locator(".flash")).to_contain_text("recorded and in force")
        expect(page.locator(".consents")).to_contain_text("Active")
        assert no_sideways_scroll(page)
        page.screenshot(path=str(SHOTS / "consent-saved-phone.png"), full_page=True)
    finally:
        context.close()
    consent = Consent.objects.get()
    assert consent.to_class == "crisis_responders" and bytes(consent.document)[:4] == b"\x89PNG"
    shoot(browser, base, "clinician", [(f"/privacy/people/{ann.pk}/consents/", "consent", None)])

    # 2. An officer on a call looks the person up: the alert the consent allows.
    call = w.calls["ann"] if "ann" in w.calls else next(iter(w.calls.values()))

    def look_up(page):
        panel = page.locator(".crisis-alert")
        panel.get_by_label("First name").fill("Anne")
        panel.get_by_label("Last name").fill("Alder")
        panel.get_by_role("button", name="Look up").click()
        expect(panel.locator(".alert-found")).to_contain_text("Speak slowly")
        expect(panel).to_contain_text("970-555-0110")
        panel.scroll_into_view_if_needed()

    shoot(browser, base, "officer", [(f"/calls/{call.pk}/", "alert", look_up)])
    lookups = AuditEvent.objects.filter(action="lookup", actor=w.users["officer"])
    assert lookups.count() == 2 and all(ann.pk in e.person_ids for e in lookups)

    # 3. The auditor reads who saw Ann's record.
    def has_rows(page):
        expect(page.locator("table")).to_contain_text("Crisis-alert lookup")

    shoot(
        browser,
        base,
        "auditor",
        [
            (f"/privacy/people/{ann.pk}/accounting/", "accounting", has_rows),
            ("/privacy/audit/?verify=1", "audit-log", None),
        ],
    )
