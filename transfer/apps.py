from django.apps import AppConfig


class TransferConfig(AppConfig):
    name = "transfer"
    verbose_name = "Import and export"

    def ready(self) -> None:
        # Register this app's named permissions (the policy) with django-rules.
        from . import permissions  # noqa: F401
