"""Celery tasks for documents: thin, they take an id and call documents.generation."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from documents import generation
from documents.models import RenderJob


# acks_late (and CELERY_TASK_REJECT_ON_WORKER_LOST in settings): a worker that dies
# mid-render leaves the message on the broker to be delivered again; the job's lease
# and the unique (case, kind, data_version) key make that second delivery harmless.
@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    dont_autoretry_for=(RenderJob.DoesNotExist,),
    retry_backoff=True,
    retry_backoff_max=settings.NPP_TASK_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=generation.RENDER_SOFT_TIME_LIMIT,
    time_limit=generation.RENDER_TIME_LIMIT,
)
def render_document(job_id: int) -> None:
    generation.render_job_run(job_id)


@shared_task(acks_late=True)
def requeue_stale_render_jobs() -> int:
    """The sweep: enqueue again the jobs whose task never ran or whose worker died."""
    return generation.requeue_stale()
