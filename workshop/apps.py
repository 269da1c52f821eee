from django.apps import AppConfig


class WorkshopConfig(AppConfig):
    name = "workshop"
    verbose_name = "Workshops"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions  # noqa: F401
