"""The field app in Debian's chromium, the way the issue's "done" is tried: a clinician on a
phone, network off, records a whole crisis encounter (with a referral from the directory, a
follow-up and the person's signed consent) and an outreach visit, taps the team's status, and
sees "2 records waiting to sync"; the app reloads from its cache while offline; back online,
both records land once (a retry of the same request changes nothing); the case manager's
worklist shows the follow-up, and the receiving provider closes the referral in its inbox.

The first load is measured on the wire (every response the server sent while the app and its
service worker loaded, gzip-compressed) against the 150 KB budget; the second load comes from
the worker's cache.

Screenshots in test-artifacts/screenshots/: field-*-phone.png (360 px wide), field-*-desktop.png,
care-*-desktop.png.
"""

import gzip
import threading
import time
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.utils import timezone

from coresponse.care.models import FollowUp, Referral, ReferralStatus
from coresponse.care.tests.world import build_care_world
from coresponse.dispatch.models import Assignment, Call
from coresponse.field import app_views
from coresponse.field.models import Encounter, EncounterKind
from coresponse.privacy.models import Consent
from coresponse.web.tests import browser as ui
from coresponse.web.tests.browser import BROWSER, SHOTS, no_sideways_scroll

PASSWORD = "field-app-offline-2026"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1440, "height": 900}
BUDGET = 150 * 1024

pytestmark = BROWSER


class Wire:
    """Every response the live server sends, as (path, body). On SQLite the test server's
    request threads share one in-memory connection: requests take turns (a deployment has a
    connection per thread, or PostgreSQL)."""

    def __init__(self):
        self.log: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()

    def gzip_total(self, since: int = 0) -> tuple[int, dict[str, int]]:
        sizes: dict[str, int] = {}
        for path, body in self.log[since:]:
            sizes[path] = sizes.get(path, 0) + len(gzip.compress(body, compresslevel=6))
        return sum(sizes.values()), sizes

    def paths(self, since: int = 0) -> list[str]:
        return [path for path, _ in self.log[since:]]


@pytest.fixture
def wire(monkeypatch):
    from django.core.handlers.wsgi import WSGIHandler

    recorder = Wire()
    handle = WSGIHandler.__call__
    serial = connection.vendor == "sqlite"

    def recorded(self, environ, start_response):
        def run():
            result = handle(self, environ, start_response)
            try:
                body = b"".join(bytes(chunk) for chunk in result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            recorder.log.append((environ.get("PATH_INFO", ""), body))
            return [body]

        if serial:
            with recorder.lock:
                return run()
        return run()

    monkeypatch.setattr(WSGIHandler, "__call__", recorded)
    return recorder


def sign_in(browser, base, username, viewport, next_path="/"):
    context = browser.new_context(viewport=viewport, service_workers="allow")
    page = context.new_page()
    ui.sign_in(page, base, username, PASSWORD, next_path)
    return context, page


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_ready(page) -> None:
    page.wait_for_selector("body[data-ready='true']", timeout=15000)


def sync_pill(page):
    return page.locator("#sync-pill")


def outbox(page) -> list[dict]:
    """What the phone keeps waiting (IndexedDB)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("coresponse-field");
          open.onsuccess = () => {
            const request = open.result.transaction("outbox").objectStore("outbox").getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          };
        })"""
    )


def draw_signature(page) -> None:
    canvas = page.locator("canvas.fa-signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 20, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 18, y + (10 if step % 2 else -10))
    page.mouse.up()


@pytest.mark.django_db(transaction=True)
def test_a_clinician_records_offline_and_it_lands_once(live_server, browser, wire):
    from playwright.sync_api import expect

    w = build_care_world()
    # A call of a minute ago: the pages' "now" is the clock, as on a live deployment (the
    # world's history ends on a fixed day).
    Call.objects.create(
        external_id="C-now", received_at=timezone.now() - timedelta(minutes=1),
        source="911", call_type="Welfare check", program=w.programs["scrt"],
    )  # fmt: skip
    for user in w.users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    base = live_server.url
    encounters_before = Encounter.objects.count()
    active = Assignment.objects.get(call=w.calls["active"])

    context, page = sign_in(browser, base, "clinician", PHONE)
    try:
        # --- first load, online: measured on the wire --------------------------------------
        start = len(wire.log)
        page.goto(f"{base}/field/")
        wait_ready(page)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        page.wait_for_function("navigator.serviceWorker.controller !== null || true")
        # The worker has fetched what it keeps once it is active.
        page.wait_for_function("navigator.serviceWorker.ready.then(r => !!r.active)", timeout=15000)
        time.sleep(0.5)
        total, sizes = wire.gzip_total(start)
        # A file the sign-in page already brought (app.css) came from the browser's cache: on
        # a phone that never saw the app it comes over the wire too.
        for path in app_views.precache():
            if path.startswith("/static/") and path not in sizes:
                with open(finders.find(path.removeprefix("/static/")), "rb") as handle:
                    sizes[path] = len(gzip.compress(handle.read(), compresslevel=6))
                    total += sizes[path]
        print(f"first load: {total / 1024:.1f} KiB compressed over {len(sizes)} paths", sizes)
        assert total < BUDGET, sizes
        expect(page.locator("#main")).to_contain_text("Disturbance")
        shot(page, "field-call-phone")
        assert no_sideways_scroll(page)

        # --- a second load comes from the worker's cache -------------------------------------
        start = len(wire.log)
        documents = []
        page.on(
            "response",
            lambda r: documents.append(r) if r.request.resource_type == "document" else None,
        )
        page.reload()
        wait_ready(page)
        assert documents and documents[-1].from_service_worker
        fetched = wire.paths(start)
        assert not [p for p in fetched if p.startswith("/static/")], fetched

        # --- the network goes; the app keeps working -----------------------------------------
        context.set_offline(True)
        expect(sync_pill(page)).to_contain_text("Offline")
        page.reload()  # from the cache, with the call from the phone's store
        wait_ready(page)
        expect(page.locator("#main")).to_contain_text("Disturbance")
        expect(page.locator("#banner")).to_contain_text("Offline")

        # The team's status: one tap, kept on the phone.
        page.get_by_role("button", name="Cleared").click()
        expect(page.locator("#toast")).to_contain_text("saved on this phone")

        # A whole crisis encounter, with a thumb.
        page.get_by_role("button", name="Record the encounter").click()
        expect(page.get_by_role("heading", name="New encounter")).to_be_visible()
        page.get_by_label("First name").fill("Rae")
        page.get_by_label("Last name").fill("Birch")
        for chip in ("Anxiety / panic", "Assessment", "De-escalation", "Referral"):
            page.locator("label.fa-chip", has_text=chip).first.click()
        page.locator("label.fa-option", has_text="Referred").click()
        page.get_by_label("Clinical note").fill(
            "Panic attack after a layoff; calmer after breathing."
        )
        page.locator("#ref-need").select_option("substance_use_treatment")
        page.get_by_role("button", name="Refer to Cedar Recovery").click()
        expect(page.locator(".fa-chosen")).to_contain_text("Cedar Recovery")
        page.locator("label.fa-chip", has_text="Tomorrow").click()
        page.locator("label.fa-inline", has_text="agrees to share").click()
        page.get_by_label("Signed by (the person or their representative)").fill("Rae Birch")
        draw_signature(page)
        shot(page, "field-record-phone")
        assert no_sideways_scroll(page)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#waiting-count")).to_have_text("1 record waiting to sync")

        # A second record: an outreach visit to someone on the street.
        page.locator("a[data-tab='record']").click()
        page.get_by_role("button", name="Record an outreach visit").click()
        page.get_by_label("First name").fill("Lee")
        page.get_by_label("Last name").fill("Oakes")
        page.locator("label.fa-chip", has_text="Peer support").click()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#waiting-count")).to_have_text("2 records waiting to sync")
        expect(sync_pill(page)).to_contain_text("2 records waiting to sync")
        shot(page, "field-sync-offline-phone")
        waiting = outbox(page)
        assert sorted(o["kind"] for o in waiting) == ["record", "record", "status"]
        assert Encounter.objects.count() == encounters_before  # nothing reached the server

        # --- the network returns: both land, once --------------------------------------------
        context.set_offline(False)
        expect(sync_pill(page)).to_have_text("All synced", timeout=15000)
        new = Encounter.objects.exclude(client_id=None)
        assert new.count() == 2 and Encounter.objects.count() == encounters_before + 2
        crisis = new.get(kind=EncounterKind.CRISIS)
        assert crisis.call == w.calls["active"] and crisis.person.last_name == "Birch"
        assert crisis.notes.get(category="mental_health").text.startswith("Panic attack")
        outreach = new.get(kind=EncounterKind.OUTREACH)
        assert outreach.person.last_name == "Oakes" and outreach.services == ["peer_support"]
        referral = Referral.objects.get(encounter=crisis)
        assert (
            referral.provider == "Cedar Recovery"
            and referral.to_agency.external_id == "cedar-peers"
        )
        followup = FollowUp.objects.get(encounter=crisis)
        consent = Consent.objects.get(person=crisis.person)
        assert bytes(consent.document).startswith(b"\x89PNG")
        active.refresh_from_db()
        assert active.status == "cleared" and crisis.cleared_at == active.cleared_at

        # A retry of the very same request (a lost answer) changes nothing.
        record_op = next(
            o for o in waiting if o["kind"] == "record" and o["body"]["kind"] == "crisis"
        )
        replay = page.evaluate(
            """async (op) => {
              const profile = await (await fetch("/api/v1/field/profile/")).json();
              const r = await fetch(op.url, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": profile.csrf_token,
                          "Idempotency-Key": op.id},
                body: JSON.stringify(op.body)});
              return {status: r.status, replayed: r.headers.get("Idempotent-Replayed")};
            }""",
            record_op,
        )
        assert replay == {"status": 201, "replayed": "true"}
        assert Encounter.objects.count() == encounters_before + 2
        assert Referral.objects.filter(encounter=crisis).count() == 1
        page.locator("a[data-tab='sync']").click()
        expect(page.locator("#main")).to_contain_text("Synced from this phone")
        shot(page, "field-sync-phone")
        page.locator("a[data-tab='resources']").click()
        expect(page.locator(".fa-resources")).to_contain_text("Harbor House")
        shot(page, "field-resources-phone")
    finally:
        context.close()

    # --- the case manager's worklist shows the follow-up -----------------------------------------
    context, page = sign_in(browser, base, "casemanager", DESKTOP)
    try:
        page.goto(f"{base}/care/followups/")
        expect(page.locator("main")).to_contain_text("Rae Birch")
        shot(page, "care-followups-desktop")
        page.goto(f"{base}/")
        shot(page, "care-case-manager-home-desktop")
    finally:
        context.close()

    # --- the receiving provider closes the referral ----------------------------------------------
    context, page = sign_in(browser, base, "provider", DESKTOP)
    try:
        page.goto(f"{base}/care/referrals/inbox/")
        expect(page.locator("main")).to_contain_text("Substance-use treatment")
        shot(page, "care-inbox-desktop")
        page.locator(f"a[href='/care/referrals/{referral.pk}/']").first.click()
        page.get_by_role("button", name="Accepted").click()
        expect(page.locator(".flash")).to_contain_text("accepted")
        page.get_by_label("Note").fill("Seen for intake; starts Monday")
        page.get_by_role("button", name="Completed").click()
        expect(page.locator(".lede")).to_contain_text("Completed")
        shot(page, "care-referral-desktop")
    finally:
        context.close()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.closed_at is not None
    assert followup.pk


@pytest.mark.django_db(transaction=True)
def test_the_care_pages_fit_a_phone_and_the_app_fits_a_desktop(live_server, browser, wire):
    """Every care page at 360 px without sideways scrolling, the reconcile page of a conflict,
    and the field app on a desktop (screenshots)."""
    import uuid

    from playwright.sync_api import expect

    from coresponse.care import services
    from coresponse.field import services as field_services

    w = build_care_world()
    for user in w.users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    active = Assignment.objects.get(call=w.calls["active"])
    made = services.submit_field_record(
        w.users["clinician"],
        {"client_id": str(uuid.uuid4()), "assignment": active.pk,
         "person": {"id": w.persons["ann"].pk},
         "values": {"disposition": "referred", "notes.mental_health": "Tearful; engaged."}},
    )  # fmt: skip
    encounter = made.encounter
    field_services.update_encounter(
        w.users["peer"], encounter, base_version=1, changes={"disposition": "resolved_on_scene"}
    )
    conflict = field_services.update_encounter(
        w.users["clinician"], encounter, base_version=1,
        changes={"disposition": "voluntary_transport_crisis_center",
                 "notes.mental_health": "Tearful; agreed to the crisis unit."},
    ).conflict  # fmt: skip
    base = live_server.url
    context, page = sign_in(browser, base, "casemanager", PHONE)
    try:
        for name, path in (
            ("care-followups", "/care/followups/"),
            ("care-referrals", "/care/referrals/?show=open"),
            ("care-outreach", "/care/outreach/"),
            ("care-resources", "/care/resources/"),
            ("care-followup", f"/care/followups/{w.persons['ann'].followups.first().pk}/"),
            ("care-safety-plan", f"/care/people/{w.persons['ann'].pk}/safety-plan/"),
            ("care-case-manager-home", "/"),
        ):
            page.goto(f"{base}{path}")
            expect(page.locator("h1")).to_be_visible()
            shot(page, f"{name}-phone")
            assert no_sideways_scroll(page), path
    finally:
        context.close()
    context, page = sign_in(browser, base, "provider", PHONE)
    try:
        page.goto(f"{base}/care/referrals/inbox/")
        shot(page, "care-inbox-phone")
        assert no_sideways_scroll(page)
        page.goto(f"{base}/care/referrals/{w.referrals['R-su'].pk}/")
        shot(page, "care-referral-phone")
        assert no_sideways_scroll(page)
    finally:
        context.close()
    context, page = sign_in(browser, base, "clinician", DESKTOP)
    try:
        page.goto(f"{base}/field/conflicts/{conflict.pk}/")
        expect(page.locator("main")).to_contain_text("Resolved on scene")
        shot(page, "field-reconcile-desktop")
        page.goto(f"{base}/field/")
        wait_ready(page)
        expect(page.locator("#main")).to_contain_text("Disturbance")
        shot(page, "field-call-desktop")
        page.locator("a[data-tab='record']").click()
        page.get_by_role("button", name="Go to your call").click()
        page.get_by_role("button", name="Edit the encounter").click()
        expect(page.locator(".fa-warn")).to_contain_text("reconcile")
        shot(page, "field-record-desktop")
    finally:
        context.close()
    context, page = sign_in(browser, base, "clinician", PHONE)
    try:
        page.goto(f"{base}/field/conflicts/{conflict.pk}/")
        shot(page, "field-reconcile-phone")
        assert no_sideways_scroll(page)
        page.locator("label.reconcile-choice", has_text="Take the phone's").first.click()
        page.get_by_role("button", name="Save the reconciled record").click()
        expect(page.locator(".flash")).to_contain_text("Reconciled")
    finally:
        context.close()
    encounter.refresh_from_db()
    assert encounter.disposition == "voluntary_transport_crisis_center" and encounter.version == 3
