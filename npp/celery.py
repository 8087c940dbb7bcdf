"""The Celery app. Configured from Django settings (CELERY_*), tasks autodiscovered."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import celeryd_init, worker_init

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


@worker_init.connect
def _warm_before_fork(**kwargs) -> None:
    """Load, once in the worker's main process, what tasks otherwise load on their first
    run in each pool process: the URL configuration (a task that reverses a URL, as
    every notification does, imported all the views, the API and their libraries:
    1.3 s on the first notification task of each process, and a process is replaced
    every CELERY_WORKER_MAX_TASKS_PER_CHILD tasks), the template engine with its tag
    libraries, and each language's translation catalogue. Processes forked after this
    share them. Nothing here touches the database or the broker."""
    from django.conf import settings
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 (builds the reverse lookup for the language)
            translation.gettext("Case")
    engines.all()  # each engine loads its tag libraries as it is made
