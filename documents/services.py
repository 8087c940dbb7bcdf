"""Writes on documents: store a new version, review one."""

from __future__ import annotations

import hashlib
import uuid
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from documents.access import may_upload
from documents.models import Document, DocumentKind, ReviewStatus
from documents.validation import validate_upload
from orders.errors import DomainError
from orders.models import ImportCase

WRITTEN_AFTER_CLOSING = (DocumentKind.CASE_RECORD, DocumentKind.ADVERSE_EVENT_REPORT)


def papers_changed(case_id: int) -> None:
    """A document of the case was stored, reviewed or signed: after the commit, the
    handlers in settings.NPP_DOCUMENT_CHANGE_HANDLERS bring the papers that show the
    case's documents up to date (the generation layer's refresh, which this store may
    not import). One that fails is logged; the committed change stands."""
    for path in settings.NPP_DOCUMENT_CHANGE_HANDLERS:
        transaction.on_commit(partial(_call, path, case_id), robust=True)


def _call(path: str, case_id: int) -> None:
    import_string(path)(case_id)


@transaction.atomic
def document_store(
    *,
    case: ImportCase,
    kind: DocumentKind,
    content: bytes,
    content_type: str,
    actor,
    original_filename: str = "",
    generated: bool = False,
    extension: str = "pdf",
) -> Document:
    """Store `content` as the next version of `kind` on `case`; the previous version
    stays, marked as superseded. Generated documents and a coordinator's own uploads
    need no review, everything else waits for a coordinator."""
    # The case record is written after closing: the system renders it from the closed
    # case's locked history, for an inspector. Side effects are still reported after
    # closing (the patient goes on taking the medicine): their CIOMS I forms too.
    if case.is_locked and not (generated and kind in WRITTEN_AFTER_CLOSING):
        raise DomainError(
            _("%(reference)s is closed: its documents can no longer change.")
            % {"reference": case.reference}
        )
    if not content:
        raise DomainError(_("The file is empty."))
    previous = (
        Document.objects.select_for_update(of=("self",))
        .filter(case=case, kind=kind, superseded_by__isnull=True)
        .order_by("-version")
        .first()
    )
    self_reviewed = generated or actor.is_coordinator or actor.is_system
    document = Document(
        case=case,
        kind=kind,
        original_filename=original_filename,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=actor,
        generated=generated,
        version=previous.version + 1 if previous else 1,
        supersedes=previous,
        review_status=ReviewStatus.ACCEPTED if self_reviewed else ReviewStatus.PENDING,
        reviewed_by=actor if self_reviewed else None,
        reviewed_at=timezone.now() if self_reviewed else None,
    )
    # A server-generated name: nothing of the uploader's filename reaches the disk.
    document.file.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(content), save=False)
    document.save()
    if not generated:
        papers_changed(case.pk)
    return document


@transaction.atomic
def document_review(*, document: Document, actor, accept: bool, reason: str = "") -> Document:
    if not actor.is_coordinator:
        raise PermissionDenied("Only a coordinator reviews documents.")
    if document.case.is_locked:
        raise DomainError("The case is closed: its documents can no longer change.")
    if not accept and not reason.strip():
        raise DomainError("A reason is required to reject a document.")
    document.review_status = ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED
    document.review_reason = reason.strip()
    document.reviewed_by = actor
    document.reviewed_at = timezone.now()
    document.save(update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at"])
    papers_changed(document.case_id)
    return document


def document_upload(
    *, case: ImportCase, kind: str, content: bytes, filename: str, actor
) -> Document:
    """A person's upload: permission, then validation by content, then storage of
    the cleaned copy. A refusal raises and stores nothing."""
    if kind not in DocumentKind.values:
        raise DomainError(_("Choose what kind of document this is."))
    if not may_upload(actor, case, kind):
        raise PermissionDenied(
            _("You may not add a %(kind)s to this case.")
            % {"kind": _(DocumentKind(kind).label).lower()}
        )
    clean = validate_upload(content, filename=filename, kind=kind)
    return document_store(
        case=case,
        kind=kind,
        content=clean.content,
        content_type=clean.content_type,
        original_filename=clean.original_filename,
        actor=actor,
        extension=clean.extension,
    )
