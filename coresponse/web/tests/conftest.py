import pytest

from coresponse.web.tests.factories import build_county


@pytest.fixture
def county(db):
    return build_county()


@pytest.fixture
def login(client, county):
    """login("officer") -> the test client signed in as that demo user."""

    def as_user(username):
        client.force_login(county.users[username])
        return client

    return as_user
