from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions, permissions_external, permissions_tags  # noqa: F401
        from .migrations_support import sqlite_trigger_create, sqlite_trigger_drop

        # The one place a signal is the right tool: the database's own integrity guard
        # must survive SQLite's table rebuilds during any app's migrations.
        pre_migrate.connect(sqlite_trigger_drop, dispatch_uid="reviews-trigger-drop")
        post_migrate.connect(sqlite_trigger_create, dispatch_uid="reviews-trigger-create")
