"""Settings for bench/decision_board.py: the project's, with DEBUG off as in production,
but static files served without a collected manifest (the benchmark measures pages, not
collectstatic)."""

from workshop.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
