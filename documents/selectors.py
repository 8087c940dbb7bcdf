"""Reads of a case's papers for the pages: its documents, its generated ones, the
current undertaking and its signature."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery

from documents.models import (
    Document,
    DocumentKind,
    RenderJob,
    RenderStatus,
    ReviewStatus,
    Signature,
    SignatureMeaning,
)
from orders.models import ImportCase


def current_undertaking(case: ImportCase) -> Document | None:
    return case.documents.current().filter(kind=DocumentKind.PHYSICIAN_UNDERTAKING).first()


def undertaking_signature(case: ImportCase) -> Signature | None:
    undertaking = current_undertaking(case)
    if undertaking is None:
        return None
    return undertaking.signatures.filter(
        signer_id=case.physician.user_id, meaning=SignatureMeaning.AUTHORSHIP
    ).first()


def case_documents(case: ImportCase) -> list[Document]:
    """Current versions first by kind; superseded versions are history."""
    return list(
        Document.objects.filter(case=case)
        .current()
        .select_related("uploaded_by", "reviewed_by")
        .prefetch_related("signatures")
        .order_by("kind", "-version")
    )


def case_render_jobs(case: ImportCase) -> list[RenderJob]:
    """The newest rendering of each generated kind."""
    newest = RenderJob.objects.filter(case=case, kind=OuterRef("kind")).order_by(
        "-created_at", "-pk"
    )
    return list(
        RenderJob.objects.filter(case=case, pk=Subquery(newest.values("pk")[:1]))
        .select_related("document")
        .order_by("kind")
    )


def still_rendering(jobs: Iterable[RenderJob]) -> bool:
    """Whether any of these renderings has yet to end (Ready or Failed)."""
    return any(job.status in (RenderStatus.PENDING, RenderStatus.RUNNING) for job in jobs)


def latest_temperature_log(case: ImportCase) -> Document | None:
    return (
        Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG)
        .current()
        .order_by("-version")
        .first()
    )


def pending_review(documents: Iterable[Document]) -> list[Document]:
    return [document for document in documents if document.review_status == ReviewStatus.PENDING]
