"""Celery tasks for documents: thin, they take an id and call documents.generation.
The render task and the side-effect report's tasks are defined beside their runners
(documents.generation.jobs, documents.generation.adverse_event_report) and named
here for Celery's autodiscovery."""

from __future__ import annotations

from celery import shared_task

from documents.generation.adverse_event_report import (
    prepare_adverse_event_report,
    sweep_adverse_event_reports,
)
from documents.generation.jobs import render_document
from documents.generation.requests import requeue_stale

__all__ = [
    "prepare_adverse_event_report",
    "render_document",
    "requeue_stale_render_jobs",
    "sweep_adverse_event_reports",
]


@shared_task(acks_late=True)
def requeue_stale_render_jobs() -> int:
    """The sweep: request the papers whose handler never ran, and enqueue again the
    jobs whose task never ran or whose worker died."""
    return requeue_stale()
