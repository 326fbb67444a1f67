"""Every page of every demo role in chromium, under the real Content-Security-Policy: any inline
script, inline style (style="" or <style>), eval or foreign source is reported by the browser
as a violation, and the test fails naming the page and what was refused.

The crawl signs in through the form, follows every same-site link it finds (one page per
route: ids and page numbers are folded together), and never follows sign-out or the lock.
"""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from coresponse.dispatch.models import Call
from coresponse.dispatch.tests import test_board_browser as board
from coresponse.web.tests import browser as shell
from coresponse.web.tests.factories import PASSWORD, USERS, add_history, build_county

one_request_at_a_time = board.one_request_at_a_time

pytestmark = [*shell.BROWSER, pytest.mark.django_db(transaction=True)]

MAX_PAGES = 45  # per role: enough for every route a role's pages link to
SKIP = re.compile(
    r"^/(logout|lock|static|media|session)/|/export|\.(csv|json|pdf|zip|ics)$|/api/v1/|[?&]format="
)
# Reported, not followed: an endpoint that answers with a file download.
NOT_PAGES = ("application/json", "text/csv", "application/pdf", "application/zip")

# Set before any page script runs: every violation the page reports, with its directive.
RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " refused " + (e.blockedURI || "inline") +
    (e.sourceFile ? " (" + e.sourceFile.split("/").pop() + ":" + e.lineNumber + ")" : "") +
    (e.sample ? " [" + e.sample + "]" : ""));
});
"""


@pytest.fixture(autouse=True)
def in_turn(one_request_at_a_time):
    """Page loads and polls take turns on SQLite's one test connection."""


def route(path: str) -> str:
    """One key per route: /people/12/ and /people/13/ are the same page."""
    parts = urlsplit(path)
    return re.sub(r"/\d+(?=/|$)", "/N", parts.path) + (
        "?" + re.sub(r"=[^&]*", "=", parts.query) if parts.query else ""
    )


def crawl(page, base: str, everyone: set[str]) -> tuple[dict[str, list[str]], int]:
    """Visit every route reachable from the home page: {path: violations}, pages seen.

    The home page and the pages it links to are opened for every role (they differ by role);
    a deeper route already opened for another role (`everyone`) is not opened again.
    """
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    found: dict[str, list[str]] = {}
    queue, mine = [("/", 0), ("/account/", 0)], set()
    visited = 0
    while queue and visited < MAX_PAGES:
        path, depth = queue.pop(0)
        key = route(path)
        if key in mine or (depth > 1 and key in everyone):
            continue
        mine.add(key)
        everyone.add(key)
        console.clear()
        try:
            response = page.goto(base + path, wait_until="domcontentloaded")
        except Exception:  # a download, or a page that navigates away while loading
            continue
        kind = (response.headers.get("content-type") or "") if response else ""
        if response is None or any(t in kind for t in NOT_PAGES):
            continue
        visited += 1
        violations = page.evaluate("window.__csp || []") + list(console)
        if violations:
            found[path] = sorted(set(violations))
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urljoin(base + path, href))
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if not SKIP.search(target) and route(target) not in mine:
                queue.append((target, depth + 1))
    return found, visited


def test_no_page_of_any_role_breaks_the_content_security_policy(live_server, browser):
    county = build_county(usable_passwords=True)
    add_history(county, days=3)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(RECORD)
    # Callers' numbers are shown to dispatchers (a detail a crawl must reach).
    Call.objects.update(caller_name="Ann Alder", caller_phone="3035550142")
    problems, pages, everyone = {}, {}, set()
    try:
        for username in USERS:
            context.clear_cookies()
            page = context.new_page()
            shell.sign_in(page, base, username, PASSWORD)
            found, pages[username] = crawl(page, base, everyone)
            for path, violations in found.items():
                problems[f"{username} {path}"] = violations
            page.close()
        # The pages before sign-in, and the API's documentation.
        context.clear_cookies()
        page = context.new_page()
        for path in ("/login/", "/api/docs/"):
            page.goto(base + path, wait_until="networkidle")
            violations = page.evaluate("window.__csp || []")
            if violations:
                problems[f"anonymous {path}"] = violations
    finally:
        context.close()
    assert all(count >= 5 for count in pages.values()), pages  # the crawl really went places
    report = "\n".join(f"{where}:\n    " + "\n    ".join(v) for where, v in problems.items())
    assert not problems, f"Content-Security-Policy violations:\n{report}"
