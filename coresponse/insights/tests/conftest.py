import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_cache():
    """Remembered answers are keyed by the facts' rebuild; each test starts with none."""
    cache.clear()
    yield
    cache.clear()
