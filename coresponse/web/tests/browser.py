"""What every real-browser test shares: Debian's chromium, where screenshots go, the two sizes
pages are checked at, and signing in through the real form.

The `browser` fixture itself is in coresponse/conftest.py, so any test can ask for it."""

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A browser test module sets `pytestmark = BROWSER`.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)",
    ),
]


def sign_in(page, base_url: str, username: str, password: str, next_path: str = "/") -> None:
    """Through the sign-in form, as a person would; lands on `next_path` (the home page)."""
    page.goto(f"{base_url}/login/" + (f"?next={next_path}" if next_path != "/" else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}{next_path}")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
