import pytest

from coresponse.care.tests.world import build_care_world

# Debian's chromium through Playwright, as the dispatch board's browser test drives it.
from coresponse.dispatch.tests.test_board_browser import browser  # noqa: F401


@pytest.fixture
def world(db):
    return build_care_world()


@pytest.fixture
def login(client, world):
    """login("casemanager") -> the test client signed in as that user."""

    def as_user(username):
        client.force_login(world.users[username])
        return client

    return as_user
