from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules, and the
        # `field:` keyword of the chairs' search language (custom fields, issue 27).
        from . import permissions, search_fields  # noqa: F401
