"""NPP project package: settings, URLs, the Celery app and accounts."""

from npp.celery import app as celery_app

__all__ = ("celery_app",)
