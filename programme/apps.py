from django.apps import AppConfig


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = "Programme"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions  # noqa: F401
