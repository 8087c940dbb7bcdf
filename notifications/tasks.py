"""Celery tasks for notifications: thin, they take ids and call the services.

`deliver_event` is one task per event, fanning out to all its recipients (not one
task per recipient), acknowledged only after it ran (`acks_late`), and put back on
the queue when its worker process dies (`reject_on_worker_lost`). Every run is
safe to repeat: rows are unique and a sender claims each before sending.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_init
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from notifications import reminders, services
from notifications.recipients import notified_events
from orders.models import CaseEvent

log = logging.getLogger(__name__)

MAX_RETRIES = 10
CHUNK = 200


def _retry_countdown(task, delivery: services.Delivery) -> float:
    """Wait until the earliest row may be taken again, but back off exponentially
    (capped) when the same rows keep failing."""
    backoff = get_exponential_backoff_interval(
        factor=2,
        retries=task.request.retries,
        maximum=settings.NPP_TASK_RETRY_BACKOFF_MAX,
        full_jitter=False,
    )
    due = (delivery.retry_at - timezone.now()).total_seconds() if delivery.retry_at else 0
    return max(1.0, min(float(settings.NPP_TASK_RETRY_BACKOFF_MAX), max(due, backoff)))


def _drop_broken_connections() -> None:
    """Connections are reused across tasks (CELERY_DB_REUSE_MAX): drop one that broke
    (the database restarted) or outlived CONN_MAX_AGE, as Django does per request.
    Not inside a transaction (a task run in-process by a caller holding one)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


def _deliver(task, run) -> int:
    _drop_broken_connections()
    delivery = run()
    if delivery.retry_at is not None:
        # Rows left: failed sends waiting their backoff, or held by another sender.
        # After the last retry the sweep takes over.
        if task.request.retries < MAX_RETRIES:
            raise task.retry(countdown=_retry_countdown(task, delivery))
        log.warning("%s: retries exhausted; the sweep will pick it up", task.name)
    return delivery.sent


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    autoretry_for=(ConnectionError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=settings.NPP_TASK_RETRY_BACKOFF_MAX,
)
def deliver_event(self, event_id: int) -> int:
    """Create and send every notification of one case event."""
    try:
        return _deliver(self, lambda: services.event_deliver(event_id=event_id))
    except CaseEvent.DoesNotExist:
        # Enqueued by a transaction that rolled back, or from another database.
        log.warning("deliver_event: no event %s", event_id)
        return 0


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    autoretry_for=(ConnectionError, OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=settings.NPP_TASK_RETRY_BACKOFF_MAX,
)
def send_notifications(self, notification_ids: list[int]) -> int:
    """Send given rows (reminders, and rows the sweep found without an event)."""
    from notifications.models import Notification

    return _deliver(
        self,
        lambda: services.notifications_send(
            services.unsent(Notification.objects.filter(pk__in=notification_ids))
        ),
    )


@worker_init.connect
def _warm_before_fork(**kwargs) -> None:
    """Find and compile the notification templates once in the worker's main process,
    not in each pool process on its first task (see npp.celery)."""
    services.templates_warm()


def queue_options() -> dict:
    queue = settings.NPP_NOTIFICATION_QUEUE
    return {"queue": queue} if queue else {}


def enqueue_event(event_id: int) -> bool:
    """Enqueue `deliver_event`; a broker that cannot be reached is logged, not
    raised: the event is the record, and the sweep enqueues it again later."""
    try:
        deliver_event.apply_async((event_id,), **queue_options())
        return True
    except Exception:  # kombu's OperationalError, socket errors, timeouts...
        log.exception("Could not enqueue notifications of event %s; the sweep will", event_id)
        return False


def notify_on_event(event: CaseEvent) -> None:
    """A case-event handler (settings.NPP_CASE_EVENT_HANDLERS), called after the commit
    that appended `event`. `enqueue_event` swallows a broker failure: the sweep sends
    what never left."""
    if event.transition in notified_events():
        enqueue_event(event.pk)


def enqueue_notifications(notification_ids: list[int]) -> None:
    for start in range(0, len(notification_ids), CHUNK):
        chunk = notification_ids[start : start + CHUNK]
        try:
            send_notifications.apply_async((chunk,), **queue_options())
        except Exception:
            log.exception("Could not enqueue %s notifications; the sweep will", len(chunk))


@shared_task(acks_late=True)
def sweep() -> dict:
    """Enqueue again what was never fanned out or sent (Celery beat runs this)."""
    found = services.notification_sweep()
    for event_id in found.event_ids:
        enqueue_event(event_id)
    enqueue_notifications(found.notification_ids)
    if found.event_ids or found.notification_ids or found.given_up:
        log.info(
            "Sweep: %s events and %s notifications enqueued again, %s given up",
            len(found.event_ids),
            len(found.notification_ids),
            found.given_up,
        )
    return {
        "events": len(found.event_ids),
        "notifications": len(found.notification_ids),
        "given_up": found.given_up,
    }


@shared_task(acks_late=True)
def send_reminders() -> dict[str, int]:
    """Issue every reminder due now (Celery beat runs this) and enqueue their sending.
    Each reminder is issued once, however often this runs."""
    issued = reminders.reminders_issue_due()
    enqueue_notifications([pk for pks in issued.values() for pk in pks])
    return {kind: len(pks) for kind, pks in issued.items()}
