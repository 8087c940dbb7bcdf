"""Resupply: the next import for a patient on treatment, as a new case linked to
the one delivered (`resupply_of`), pre-filled from it (design section 3: not a loop
in the state machine). The resupply reminder offers it in one click.

Documents still valid are reused rather than asked for again: each accepted
document of a kind the pathway lists in `document_validity_days` (the patient's
identity, the consent, the prescription) whose original date is within that many
days is linked to the new case. The link is a document row of the new case holding
the same stored bytes and pointing at the first upload (`reused_from`), accepted as
that upload was; so the guards, the pack's checklist and the downloads treat it as
any document on file, and a fresh upload of that kind supersedes it. The store's
rows are reached through the case (`case.documents`), as the guards read them: the
domain imports nothing of `documents`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from npp.accounts.models import User
from orders import permissions as perm
from orders.display import format_date
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.papers import DocumentKind, ReviewStatus
from orders.services import REQUEST_FIELDS, _append_event, case_open
from orders.states import CaseStatus

S = CaseStatus

RESUPPLY_FROM = (S.DELIVERED, S.CLOSED)
# The request as the physician wrote it last time (the product is passed on its own);
# they review it before submitting.
COPIED_FIELDS = tuple(name for name in REQUEST_FIELDS if name != "product")


@dataclass(frozen=True)
class Reusable:
    """A document of the previous case still valid: the row on file there, the first
    upload it comes from, and the date its validity counts from."""

    document: Any  # documents.models.Document, reached through the case
    original: Any
    dated: dt.date
    valid_until: dt.date

    @property
    def description(self) -> str:
        """ "Prescription, dated 1 December 2026 (NPP-2026-00001)": what the timeline
        says of it."""
        original = self.original
        label = DocumentKind(original.kind).label
        return f"{label}, {_dated(original.kind, self.dated)} ({original.case.reference})"


def _dated(kind: str, dated: dt.date) -> str:
    if kind == DocumentKind.PRESCRIPTION:
        return f"dated {format_date(dated)}"
    return f"uploaded {format_date(dated)}"


def reuse_note(document: Any) -> str:
    """What a paper says of a reused document: "reused from NPP-2026-00001, dated
    1 December 2026"; empty for a document uploaded to its own case."""
    if not document.reused_from_id:
        return ""
    original = document.reused_from
    return (
        f"reused from {original.case.reference}, {_dated(original.kind, original_date(document))}"
    )


def original_of(document: Any) -> Any:
    """The first upload a document comes from: itself, or the one it reuses."""
    return document.reused_from if document.reused_from_id else document


def original_date(document: Any) -> dt.date:
    """The date a document's validity counts from: a prescription's date as the
    coordinator verified it on its case, otherwise the day it was first uploaded."""
    original = original_of(document)
    if original.kind == DocumentKind.PRESCRIPTION:
        verification = getattr(original.case, "verification", None)
        if verification is not None and verification.prescription_date:
            return verification.prescription_date
    return timezone.localdate(original.created_at)


def reusable_documents(case: ImportCase, *, today: dt.date | None = None) -> list[Reusable]:
    """The accepted documents of `case` that a resupply of it may reuse today, each
    within the days its pathway gives its kind, in the pathway's order."""
    today = today or timezone.localdate()
    validity = case.pathway.document_validity_days or {}
    on_file = {
        document.kind: document
        for document in case.documents.current()
        .filter(kind__in=list(validity), review_status=ReviewStatus.ACCEPTED)
        .select_related("reused_from__case__verification", "case__verification")
    }
    found = []
    for kind, days in validity.items():
        document = on_file.get(kind)
        if document is None:
            continue
        dated = original_date(document)
        valid_until = dated + dt.timedelta(days=int(days))
        if dated <= today <= valid_until:
            found.append(Reusable(document, original_of(document), dated, valid_until))
    return found


def _link(case: ImportCase, reusable: Reusable) -> Any:
    """The reused document as version 1 of its kind on the new case: same bytes, same
    review, pointing at the first upload."""
    original = reusable.original
    return case.documents.create(
        kind=original.kind,
        file=original.file.name,
        original_filename=original.original_filename,
        content_type=original.content_type,
        size=original.size,
        sha256=original.sha256,
        uploaded_by=original.uploaded_by,
        generated=original.generated,
        version=1,
        reused_from=original,
        review_status=ReviewStatus.ACCEPTED,
        review_reason=original.review_reason,
        reviewed_by=original.reviewed_by,
        reviewed_at=original.reviewed_at,
    )


@transaction.atomic(durable=True)
def case_create_resupply(*, case: ImportCase, actor: User) -> ImportCase:
    """Open the draft of the next import of `case`, pre-filled from it, with the
    documents still valid linked to it."""
    # Locked: two requests for the same resupply at once see each other's draft.
    source = (
        ImportCase.objects.select_related("patient", "physician", "product", "pathway")
        .select_for_update(of=("self",))
        .get(pk=case.pk)
    )
    if not perm.physician_or_coordinator(source, actor):
        raise PermissionDenied("Only the prescribing physician or a coordinator may resupply.")
    if source.status not in RESUPPLY_FROM:
        raise DomainError(
            f"{source.reference} is {source.get_status_display()}: a resupply follows a delivery."
        )
    already = source.resupplies.exclude(status__in=[S.CANCELLED, S.REJECTED]).first()
    if already is not None:
        raise DomainError(f"{source.reference} is already being resupplied by {already.reference}.")
    created = case_open(
        actor=actor,
        patient=source.patient,
        physician=source.physician,
        product=source.product,
        pathway=source.pathway,
        resupply_of=source,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
    reused = reusable_documents(source)
    for reusable in reused:
        _link(created, reusable)
    data: dict[str, Any] = {"resupply_of": source.reference}
    if reused:
        data["reused_documents"] = [reusable.description for reusable in reused]
    _append_event(
        case=created,
        actor=actor,
        transition=CaseEvent.CREATED,
        from_state="",
        to_state=S.DRAFT,
        data=data,
    )
    return created
