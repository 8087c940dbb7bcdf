"""Test processes run side by side (`pytest -n 2`) without meeting: each has its own
test database, and what it publishes to the shared Redis database lands under its own
key prefix (NPP_REDIS_KEY_PREFIX), where another process's workers, and their
redelivery of unacknowledged tasks, never reach it."""

from __future__ import annotations

import os
import uuid

import pytest
from django.conf import settings
from django.db import connection

from npp.celery import app
from tests.conftest import broker_key, need
from tests.notifications.realworker import redis_reachable


@pytest.fixture
def redis_client():
    need(
        redis_reachable(settings.CELERY_BROKER_URL),
        "CELERY_BROKER_URL does not point at a reachable Redis",
    )
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.mark.broker
def test_a_task_this_process_publishes_waits_under_its_own_prefix(redis_client):
    queue = f"npp-test-prefix-{uuid.uuid4().hex[:12]}"
    prefix = os.environ["NPP_REDIS_KEY_PREFIX"]
    keys = [queue, f"_kombu.binding.{queue}"]
    try:
        app.send_task("notifications.tasks.sweep", queue=queue)

        assert prefix.startswith("npp-test-") and str(os.getpid()) in prefix
        assert redis_client.llen(broker_key(queue)) == 1
        assert not redis_client.exists(queue)  # nothing under the bare name
    finally:
        redis_client.delete(*keys, *(broker_key(key) for key in keys))


@pytest.mark.django_db
def test_each_xdist_worker_has_a_test_database_of_its_own(worker_id):
    name = connection.settings_dict["NAME"]

    if connection.vendor == "sqlite":
        assert connection.is_in_memory_db()  # in this process's memory only
    else:
        assert name.startswith("test_")
        assert worker_id == "master" or name.endswith(f"_{worker_id}")
