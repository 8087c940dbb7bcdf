"""The Celery app. Configured from Django settings (CELERY_*), tasks autodiscovered."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")

app = Celery("npp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@celeryd_init.connect
def _worker_statement_timeout(**kwargs) -> None:
    """A worker's statements may run as long as its tasks may (sweeps, reminders over
    every case), not as long as a page's: set before the pool forks and connects."""
    from django.conf import settings

    from npp.settings import postgres_statement_timeout

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    seconds = settings.NPP_DB_WORKER_STATEMENT_TIMEOUT
    if seconds:
        database["OPTIONS"]["options"] = postgres_statement_timeout(seconds)
    else:
        database["OPTIONS"].pop("options", None)
