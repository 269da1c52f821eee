import sqlite3

from django.apps import AppConfig

SQLITE_INTEGER = range(-(2**63), 2**63)


def sqlite_int_param(value: int) -> int | str:
    """An integer for SQLite: one beyond its 64 bits (a forged id in a form or a URL) goes
    as text, which matches no row, so the form says "not a valid choice" instead of the
    driver raising OverflowError (a 500). PostgreSQL compares such numbers itself."""
    return value if value in SQLITE_INTEGER else str(value)


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = "Workshops"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions  # noqa: F401

        sqlite3.register_adapter(int, sqlite_int_param)
