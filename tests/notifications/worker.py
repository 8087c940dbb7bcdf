"""Start the project's Celery worker for the integration tests:

    python -m tests.notifications.worker worker -Q <queue> ...

It is the real worker (`npp.celery.app`), with two test-only adjustments:
- Redis gives back an unacknowledged task of a killed worker as soon as its
  visibility timeout (NPP_REDIS_VISIBILITY_TIMEOUT, short in the tests) has passed,
  instead of checking only every 100 s;
- NPP_TEST_EARLY_ACK=1 restores Celery's default early acknowledgement (the negative
  control: a task is acknowledged when received, so a killed worker loses it).
"""

from __future__ import annotations

import importlib
import os
import sys

import django

TASKS = ("notifications.tasks.deliver_event", "notifications.tasks.send_notifications")


def configure(app) -> None:
    options = dict(app.conf.broker_transport_options or {})
    options.update(unacked_restore_interval=1, unacked_restore_throttle=1)
    app.conf.broker_transport_options = options
    app.conf.worker_enable_remote_control = False  # no pidbox keys left on the broker
    if os.environ.get("NPP_TEST_EARLY_ACK") == "1":
        app.conf.task_acks_late = False
        app.conf.task_reject_on_worker_lost = False
        # The tasks ask for late acknowledgement themselves: take it back.
        importlib.import_module("notifications.tasks")
        for name in TASKS:
            app.tasks[name].acks_late = False
            app.tasks[name].reject_on_worker_lost = False


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
    django.setup()
    from npp.celery import app

    configure(app)
    app.worker_main(sys.argv[1:])


if __name__ == "__main__":
    main()
