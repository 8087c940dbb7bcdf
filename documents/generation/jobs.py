"""Render jobs: claimed with a conditional UPDATE, rendered outside any
transaction, stored in a short one; and the Celery task that runs one."""

from __future__ import annotations

import datetime as dt
import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from documents.generation.papers import (
    RENDERED_AFTER_EVENT,
    RENDERED_ON_ENTRY,
    data_version,
    render_document_pdf,
)
from documents.generation.parts import entered
from documents.models import RenderJob, RenderStatus
from documents.services import WRITTEN_AFTER_CLOSING, document_store
from orders.models import CaseEvent, ImportCase
from orders.services import system_user
from orders.states import CaseStatus

log = logging.getLogger(__name__)


# Time bounds, innermost first, in settings: NPP_RENDER_TIMEOUT (rendering.deadline) <
# NPP_RENDER_SOFT_TIME_LIMIT < NPP_RENDER_TIME_LIMIT < NPP_RENDER_LEASE_SECONDS
# (documents.checks). A job whose lease ran out belongs to a worker that died (or was
# killed at the hard limit), so another worker may take it over. A job still pending
# NPP_RENDER_STALE_SECONDS after it was requested was never delivered: the sweep
# enqueues it again.


def render_lease() -> timedelta:
    return timedelta(seconds=settings.NPP_RENDER_LEASE_SECONDS)


def stale_pending_after() -> timedelta:
    return timedelta(seconds=settings.NPP_RENDER_STALE_SECONDS)


# Events the render sweep looks back over for a render never requested; younger ones
# are left to the handler that is about to run.
MISSING_RENDER_WINDOW = timedelta(hours=24)
MISSING_RENDER_GRACE = timedelta(minutes=1)


def claim(job_id: int, *, now: dt.datetime | None = None) -> bool:
    """Take the job for this worker. A conditional UPDATE, so of two workers given the
    same job only one wins; a running job is taken over only once its lease expired."""
    now = now or timezone.now()
    claimable = Q(status__in=[RenderStatus.PENDING, RenderStatus.FAILED]) | Q(
        status=RenderStatus.RUNNING, lease_until__lt=now
    )
    updated = RenderJob.objects.filter(claimable, pk=job_id).update(
        status=RenderStatus.RUNNING,
        lease_until=now + render_lease(),
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return updated == 1


def render_job_run(job_id: int) -> RenderJob:
    """Render and store one job. Idempotent: a job that is ready, or held by another
    worker, is left alone. On failure the job records the error and the exception
    propagates so the task retries."""
    if not claim(job_id):
        job = RenderJob.objects.get(pk=job_id)
        log.info("Render job %s not claimed: it is %s.", job_id, job.status)
        return job
    job = RenderJob.objects.get(pk=job_id)
    try:
        # Slow work, outside any transaction: no row lock is held while WeasyPrint runs.
        case = ImportCase.objects.select_related(
            "pathway", "product", "patient", "physician", "assigned_coordinator"
        ).get(pk=job.case_id)
        outdated = _outdated_because(job, case)
        if outdated:
            return _record_outdated(job_id, outdated)
        pdf, version = render_document_pdf(case, job.kind)
        if version != job.data_version:
            # The case moved on between the request and now: the document shows the
            # data as it is now (a later request for this data finds its own job).
            log.info("Render job %s: data changed since requested (%s).", job_id, version[:12])
        return _record_success(job_id, case=case, pdf=pdf)
    except Exception as error:
        _record_failure(job_id, error)
        raise


def _outdated_because(job: RenderJob, case: ImportCase) -> str:
    """Why `job` need not be rendered (empty when it must): its case closed before it
    ran, or its data changed and the newer data has a job of its own. Without this a
    burst of changes (a document stored then accepted) would store one identical new
    version per change, and a job caught by the case's closing would fail for good."""
    if case.is_locked and job.kind not in WRITTEN_AFTER_CLOSING:
        closed = entered(case, CaseStatus.CLOSED)
        # Both times are the database's clock (RenderJob.created_at as the event's),
        # which SQLite keeps to the millisecond: a job asked for in the closing's
        # millisecond was asked before it.
        if closed is not None and job.created_at <= closed.created_at:
            return (
                f"{case.reference} closed before this rendering ran: its papers no longer change."
            )
        # Asked for after the closing: the store refuses it, and the job fails saying so.
    current = data_version(case, job.kind)
    if current != job.data_version and (
        RenderJob.objects.filter(case=case, kind=job.kind, data_version=current).exists()
    ):
        return "The data changed since this was asked for: the newer rendering replaces it."
    return ""


def _record_outdated(job_id: int, reason: str) -> RenderJob:
    RenderJob.objects.filter(pk=job_id, status=RenderStatus.RUNNING).update(
        status=RenderStatus.OUTDATED, lease_until=None, last_error=reason, updated_at=timezone.now()
    )
    return RenderJob.objects.get(pk=job_id)


def render_pending(case: ImportCase) -> list[RenderJob]:
    """Render, now and in this process, every job of `case` not yet ready, oldest first
    (the demo seed, which must end with every paper ready before it moves on). A job
    that fails raises, as the task's would."""
    waiting = RenderJob.objects.filter(
        case=case, status__in=[RenderStatus.PENDING, RenderStatus.FAILED]
    ).order_by("created_at", "pk")
    return [render_job_run(job_id) for job_id in waiting.values_list("pk", flat=True)]


@transaction.atomic
def _record_success(job_id: int, *, case: ImportCase, pdf: bytes) -> RenderJob:
    job = RenderJob.objects.select_for_update().get(pk=job_id)
    if job.status == RenderStatus.READY:
        return job  # another worker that took over an expired lease finished first
    document = document_store(
        case=case,
        kind=job.kind,
        content=pdf,
        content_type="application/pdf",
        original_filename=f"{case.reference}-{job.kind.replace('_', '-')}.pdf",
        actor=system_user(),
        generated=True,
    )
    job.document = document
    job.status = RenderStatus.READY
    job.lease_until = None
    job.last_error = ""
    job.save(update_fields=["document", "status", "lease_until", "last_error", "updated_at"])
    return job


def _record_failure(job_id: int, error: BaseException) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    RenderJob.objects.filter(pk=job_id).exclude(status=RenderStatus.READY).update(
        status=RenderStatus.FAILED, lease_until=None, last_error=message, updated_at=timezone.now()
    )


def stale_render_jobs(*, now: dt.datetime | None = None) -> list[int]:
    """Jobs that should be running but are not: pending long after the request (the
    task never left or was lost) or running with an expired lease (the worker died)."""
    now = now or timezone.now()
    stale = RenderJob.objects.filter(
        Q(status=RenderStatus.PENDING, updated_at__lt=now - stale_pending_after())
        | Q(status=RenderStatus.RUNNING, lease_until__lt=now)
    )
    return list(stale.values_list("pk", flat=True))


def missing_renders(*, now: dt.datetime | None = None) -> list[CaseEvent]:
    """Recent entries into a state that needs a paper with no render requested since:
    the process died between the commit and `render_on_entry`."""
    now = now or timezone.now()
    window = CaseEvent.objects.filter(
        created_at__gte=now - MISSING_RENDER_WINDOW, created_at__lt=now - MISSING_RENDER_GRACE
    )
    recent = window.exclude(from_state=F("to_state"))
    steps = window.filter(from_state=F("to_state"))
    missing: list[CaseEvent] = []

    def requested(kind: str):
        return RenderJob.objects.filter(
            case=OuterRef("case"), kind=kind, created_at__gte=OuterRef("created_at")
        )

    for state, kind in RENDERED_ON_ENTRY.items():
        missing.extend(
            recent.filter(to_state=state)
            .exclude(Exists(requested(kind)))
            .select_related("case", "actor")
        )
    for transition, kind in RENDERED_AFTER_EVENT.items():
        missing.extend(
            steps.filter(transition=transition)
            .exclude(Exists(requested(kind)))
            .select_related("case", "actor")
        )
    return missing


# acks_late (and CELERY_TASK_REJECT_ON_WORKER_LOST in settings): a worker that dies
# mid-render leaves the message on the broker to be delivered again; the job's lease
# and the unique (case, kind, data_version) key make that second delivery harmless.
# The task lives beside the runner it calls, so that `requests` can enqueue it without
# a circle through documents.tasks; its name is the one it always had.
# What every task that renders a paper runs under: retried with backoff, within the
# render deadlines.
RENDER_TASK_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (Exception,),
    "retry_backoff": True,
    "retry_backoff_max": settings.NPP_TASK_RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 5,
    "soft_time_limit": settings.NPP_RENDER_SOFT_TIME_LIMIT,
    "time_limit": settings.NPP_RENDER_TIME_LIMIT,
}


@shared_task(
    name="documents.tasks.render_document",
    dont_autoretry_for=(RenderJob.DoesNotExist,),
    **RENDER_TASK_OPTIONS,
)
def render_document(job_id: int) -> None:
    render_job_run(job_id)
