import pytest
from django.db import transaction

from .world import build_api_world


@pytest.fixture(scope="module")
def api_world(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_api_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _no_api_rate_limits(settings):
    """Rate limits have their own test; elsewhere they would only make tests flaky."""
    settings.API_RATE_LIMITS = {"token": None, "session": None, "anon": None}
