import pytest

from coresponse.care.tests.world import build_care_world


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
