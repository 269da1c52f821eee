from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    name = "submissions"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions  # noqa: F401
