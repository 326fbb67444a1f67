import pytest

from coresponse.field.tests.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client, world):
    """login("officer") -> the test client signed in as that demo user."""

    def as_user(username):
        client.force_login(world.users[username])
        return client

    return as_user
