"""Fixtures for the notification tests: events made directly on a case, the whole
coordinator team, and (for the integration tests) a real Celery worker."""

from __future__ import annotations

import pytest

from notifications import services
from orders.models import CaseEvent, ImportCase
from orders.services import system_user


def event_on(case: ImportCase, transition: str, actor, *, note: str = "", data=None, to_state=None):
    """An event as the service layer appends it, without walking the case there:
    who hears what depends on the event, not on how the case got there."""
    return CaseEvent.objects.create(
        case=case,
        transition=transition,
        from_state=case.status,
        to_state=to_state or case.status,
        actor=actor,
        note=note,
        data=data or {},
    )


@pytest.fixture
def team(coordinator, other_coordinator):
    return [coordinator, other_coordinator]


@pytest.fixture
def system(db):
    return system_user()


@pytest.fixture(autouse=True)
def _fresh_template_cache():
    services._template_base.cache_clear()
    services._has_html.cache_clear()
    services._personal.cache_clear()
    services._mentions.cache_clear()


# --- Real workers (test_worker.py) -------------------------------------------------------


@pytest.fixture
def real_services(transactional_db):
    """PostgreSQL and Redis, or skip (fail under NPP_REQUIRE_SERVICES=1)."""
    from django.conf import settings as django_settings
    from django.db import connection

    from tests.conftest import need
    from tests.notifications.realworker import redis_reachable

    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    need(
        redis_reachable(django_settings.CELERY_BROKER_URL),
        "CELERY_BROKER_URL does not point at a reachable Redis",
    )


@pytest.fixture
def notification_queue(real_services, settings):
    """A queue of this test's own: no other worker on the broker takes its tasks."""
    from django.conf import settings as django_settings

    from tests.notifications.realworker import unique_queue

    name = unique_queue()
    settings.NPP_NOTIFICATION_QUEUE = name
    yield name
    import redis

    from tests.conftest import broker_key

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(
        *(
            broker_key(key)
            for key in (name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
        )
    )


@pytest.fixture
def workers(notification_queue, tmp_path):
    """Start real workers with `workers.start(...)`; all are killed at the end, also
    when the test fails, before pytest-django empties or drops the database."""
    from tests.notifications.realworker import Workers

    pool = Workers(queue=notification_queue, directory=tmp_path)
    yield pool
    pool.close()
