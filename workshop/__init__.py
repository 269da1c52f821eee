"""Project package and core app: settings, urls, the Celery app, users, workshops and roles."""

from .celery import app as celery_app

__all__ = ("celery_app",)
