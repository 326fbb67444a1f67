"""The dispatch board in Debian's chromium: a dispatcher dispatches a team from the board, and the
team's clinician, signed in on a phone, sees the call arrive on their home page within two
seconds without reloading; the statuses go en route, on scene, officer cleared and cleared from
either side, and both pages follow.

Screenshots: test-artifacts/screenshots/board-desktop.png and board-phone.png (the board with a
team out), board-duty-phone.png (the clinician's home with the call).
"""

import threading
import time

import pytest
from django.db import connection

from coresponse.dispatch.tests.board_world import build_board_world
from coresponse.web.tests import browser as ui
from coresponse.web.tests.browser import BROWSER, SHOTS

PASSWORD = "board-live-2026"
LIVE = 2000  # ms: the board's promise

pytestmark = BROWSER


@pytest.fixture
def one_request_at_a_time(monkeypatch):
    """On SQLite the test server's request threads share one in-memory connection, and two pages
    polling while a third writes can collide on it ("database table is locked"); a deployment
    has a connection per thread (WAL) or PostgreSQL. Here requests take turns."""
    if connection.vendor != "sqlite":
        return
    from django.core.handlers.wsgi import WSGIHandler

    lock = threading.Lock()
    handle = WSGIHandler.__call__

    def in_turn(self, environ, start_response):
        with lock:
            return handle(self, environ, start_response)

    monkeypatch.setattr(WSGIHandler, "__call__", in_turn)


def sign_in(browser, base, username, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    ui.sign_in(page, base, username, PASSWORD)
    page.evaluate("window.notReloaded = true")
    return context, page


def seen_within(expect, locator, what: str) -> float:
    """Seconds until `locator` shows `what` (fails past the board's two seconds)."""
    started = time.perf_counter()
    expect(locator).to_contain_text(what, timeout=LIVE)
    return time.perf_counter() - started


@pytest.mark.django_db(transaction=True)
def test_dispatch_a_team_and_watch_both_pages_follow(live_server, browser, one_request_at_a_time):
    from playwright.sync_api import expect

    w = build_board_world()
    for user in w.users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    call = w.calls["suicide"]

    board_ctx, board = sign_in(browser, base, "dispatcher", 1440, 900)
    duty_ctx, duty = sign_in(browser, base, "clinician", 390, 844)
    try:
        assert board.get_by_role("heading", level=1).inner_text() == "Dispatch board"
        waiting = board.locator(f"#call-{call.pk}-title").locator("xpath=ancestor::article")
        expect(waiting).to_contain_text("Co-responder team")  # the triage, in words
        unit = board.locator(".tcard", has_text="Unit 1")
        expect(unit).to_contain_text("Available")
        expect(duty.locator("#duty")).to_contain_text("Unit 1")

        # Dispatch the suggested team (the first in the list) from the board.
        waiting.locator("select").select_option(label="Unit 1 — Ride-along pair")
        waiting.get_by_role("button", name="Dispatch").click()
        expect(board.locator(".board-messages")).to_contain_text("Unit 1 dispatched")
        unit_status = unit.locator(".tcard-head .badge")
        expect(unit_status).to_have_text("Status: Dispatched")
        expect(board.locator(f"#call-{call.pk}-title")).to_have_count(0)  # no longer waiting
        card = duty.locator(".duty-card", has_text="Suicide threat")
        card_status = card.locator(".bcall-head .badge").first
        lags = [seen_within(expect, card_status, "Dispatched")]

        # The clinician, on the phone, goes en route; the board follows.
        card.get_by_role("button", name="En route").click()
        expect(card_status).to_have_text("Status: En route")
        lags.append(seen_within(expect, unit_status, "En route"))
        out = board.locator(".bout", has_text="Suicide threat")
        out.get_by_role("button", name="On scene").click()
        lags.append(seen_within(expect, card_status, "On scene"))
        board.screenshot(path=str(SHOTS / "board-desktop.png"), full_page=True)
        duty.screenshot(path=str(SHOTS / "board-duty-phone.png"), full_page=True)

        out.get_by_role("button", name="Officer cleared").click()
        lags.append(seen_within(expect, card_status, "Clearing"))
        card.get_by_role("button", name="Cleared").click()
        lags.append(seen_within(expect, unit_status, "Available"))
        expect(board.locator(".bout", has_text="Suicide threat")).to_have_count(0)
        expect(duty.locator("#duty")).to_contain_text("Available")
        assert board.evaluate("window.notReloaded") and duty.evaluate("window.notReloaded")
        print(f"seen on the other page after {', '.join(f'{s:.2f}' for s in lags)} s")

        # The same board on a phone: it fits without sideways scrolling.
        phone_ctx, phone = sign_in(browser, base, "dispatcher", 390, 844)
        try:
            expect(phone.locator("#board")).to_contain_text("Waiting for a team")
            phone.screenshot(path=str(SHOTS / "board-phone.png"), full_page=True)
            assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        finally:
            phone_ctx.close()
    finally:
        board_ctx.close()
        duty_ctx.close()
    call.refresh_from_db()
    a = call.assignments.get()
    assert a.status == "cleared"
    assert a.dispatched_at <= a.en_route_at <= a.on_scene_at <= a.officer_cleared_at <= a.cleared_at
