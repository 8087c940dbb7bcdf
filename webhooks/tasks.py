"""Celery tasks of webhooks: thin, by id; the work is in webhooks.services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from webhooks import services


def _options() -> dict:
    return {"queue": settings.NPP_WEBHOOK_QUEUE} if settings.NPP_WEBHOOK_QUEUE else {}


def enqueue(delivery_id: int, countdown: float | None = None) -> None:
    deliver.apply_async((delivery_id,), countdown=countdown, **_options())


@shared_task(acks_late=True)
def deliver(delivery_id: int) -> None:
    outcome = services.delivery_send(delivery_id)
    if outcome is not None and outcome.retry_in is not None:
        enqueue(delivery_id, countdown=outcome.retry_in.total_seconds())


@shared_task(acks_late=True)
def sweep() -> None:
    result = services.webhook_sweep()
    for delivery_id in result.deliveries:
        enqueue(delivery_id)
