"""Asking for a paper: a render job recorded in the caller's transaction and its task
enqueued on commit; the case-event handler; a coordinator's retry; the sweep."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from documents.generation.jobs import (
    missing_renders,
    render_document,
    render_pending,
    stale_render_jobs,
)
from documents.generation.papers import (
    data_version,
    paper_for,
    papers_refreshed_in,
    reused_on_file,
)
from documents.models import RenderJob, RenderStatus
from documents.services import WRITTEN_AFTER_CLOSING
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.services import system_user


def request_render(*, case: ImportCase, kind: str, actor) -> RenderJob:
    """Ask for `kind` to be generated from the case's current data. Runs in the
    caller's transaction; the task leaves only when it commits. Asking again for the
    same data finds the same job, and a job already rendered is not enqueued again."""
    version = data_version(case, kind)
    job, _created = RenderJob.objects.get_or_create(
        case=case, kind=kind, data_version=version, defaults={"requested_by": actor}
    )
    if job.status != RenderStatus.READY:
        _enqueue_on_commit(job.pk)
    return job


def _enqueue_on_commit(job_id: int) -> None:
    # An optional dedicated queue (a worker for heavy rendering, or a test's own queue).
    queue = settings.NPP_RENDER_QUEUE
    options = {"queue": queue} if queue else {}
    # robust: a broker that is down must not turn the committed transition into an
    # error for the person acting; the job stays pending and the sweep enqueues it.
    transaction.on_commit(lambda: render_document.apply_async((job_id,), **options), robust=True)


def render_on_entry(event: CaseEvent) -> RenderJob | None:
    """A case-event handler (settings.NPP_CASE_EVENT_HANDLERS), called after the commit
    that appended `event`: request the paper the case needs on entering its new state,
    or the one a step within it produces (a quotation, an invoice), and bring the
    case's other papers up to date with what the event changed (an edited request or
    application, a permit, a shipment, a delivery). A request lost to a crash before
    this ran is found by `missing_renders`. Returns the job of the event's own paper."""
    kind = paper_for(event.transition, event.from_state, event.to_state)
    job = None
    with transaction.atomic():
        if kind is not None:
            job = request_render(case=event.case, kind=kind, actor=event.actor)
        refresh_papers(event.case, actor=event.actor, besides=kind)
    return job


def refresh_papers(case: ImportCase, *, actor=None, besides: str | None = None) -> list[RenderJob]:
    """Ask again for each paper the case's state keeps up to date (papers.REFRESHED_IN),
    from its data as it stands now. `request_render` finds the job already recorded
    when a paper's data has not changed, so only a paper whose data changed gets a new
    job, and so a new version that supersedes the last. A closed case's papers never
    change. Runs in the caller's transaction; the renders leave on commit."""
    current = ImportCase.objects.select_related(
        "pathway", "product", "patient", "physician", "assigned_coordinator"
    ).get(pk=case.pk)
    if current.is_locked:
        return []
    kinds = [
        kind
        for kind in papers_refreshed_in(current.status)
        if kind != besides and not reused_on_file(current, kind)
    ]
    if not kinds:
        return []
    actor = actor or system_user()
    with transaction.atomic():
        return [request_render(case=current, kind=kind, actor=actor) for kind in kinds]


def render_papers_now(case: ImportCase) -> list[RenderJob]:
    """Bring the case's papers up to date and render, in this process, every one still
    to render (the demo seed: no case moves on, or closes, with a paper pending)."""
    refresh_papers(case)
    return render_pending(case)


def refresh_on_document_change(case_id: int) -> None:
    """Called after the commit of a document stored, reviewed or signed (documents.services,
    through settings.NPP_DOCUMENT_CHANGE_HANDLERS): the papers that list the case's
    documents (the pack's checklist) show them as they are now."""
    refresh_papers(ImportCase.objects.get(pk=case_id))


@transaction.atomic
def retry_failed(job: RenderJob, actor) -> RenderJob:
    """A coordinator runs a failed rendering again (after fixing what made it fail)."""
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator may retry a document rendering.")
    locked = RenderJob.objects.select_related("case").select_for_update(of=("self",)).get(pk=job.pk)
    if locked.case.is_locked and locked.kind not in WRITTEN_AFTER_CLOSING:
        raise DomainError(f"{locked.case.reference} is closed: its papers no longer change.")
    if locked.status != RenderStatus.FAILED:
        raise DomainError(
            f"Only a failed rendering can be retried; this one is {locked.get_status_display()}."
        )
    locked.status = RenderStatus.PENDING
    locked.save(update_fields=["status", "updated_at"])
    _enqueue_on_commit(locked.pk)
    return locked


def requeue_stale(*, now: dt.datetime | None = None) -> int:
    for event in missing_renders(now=now):
        render_on_entry(event)
    jobs = stale_render_jobs(now=now)
    for job_id in jobs:
        _enqueue_on_commit(job_id)
    return len(jobs)
