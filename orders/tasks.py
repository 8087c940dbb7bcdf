"""Celery tasks for import cases: thin, they load, call the domain, and log."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from orders import services
from orders.errors import DomainError

log = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    retry_backoff_max=settings.NPP_TASK_RETRY_BACKOFF_MAX,
)
def close_delivered_cases() -> int:
    """Close delivered cases after the pathway's delay, as the system user. Safe to
    run twice: a case already closed is no longer 'delivered' and is skipped."""
    actor = services.system_user()
    closed = 0
    for case in services.cases_due_for_auto_close():
        try:
            services.case_transition(
                case=case,
                actor=actor,
                transition="close",
                note=(
                    f"Closed automatically {case.pathway.auto_close_after_days} days "
                    "after delivery."
                ),
            )
            closed += 1
        except DomainError as error:
            log.warning("Auto-close of %s skipped: %s", case.reference, error)
    return closed
