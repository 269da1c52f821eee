import pytest
from django.db import transaction
from django.test.utils import override_settings

from .world import build_fuzz_world


@pytest.fixture(scope="module")
def fuzz_media(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz-media")


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, fuzz_media):
    """The demo world, built once per module inside a transaction rolled back at its end
    (its PDFs in a media directory of the module's own)."""
    with (
        override_settings(MEDIA_ROOT=fuzz_media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = build_fuzz_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root(settings, fuzz_media):
    """The world's files stay readable in every test of the module (tests/conftest.py gives
    each test an empty media directory)."""
    settings.MEDIA_ROOT = fuzz_media
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Rate limits answer 429 before a form is read: the fuzzer wants the form's answer."""
    settings.API_RATE_LIMITS = {"token": None, "session": None, "anon": None}
    settings.ACCOUNT_RATE_LIMITS = False
