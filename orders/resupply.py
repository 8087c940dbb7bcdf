"""Resupply: the next import for a patient on treatment, as a new case linked to
the one delivered (`resupply_of`), pre-filled from it (design section 3: not a loop
in the state machine). The resupply reminder offers it in one click."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from npp.accounts.models import User
from orders import permissions as perm
from orders.errors import DomainError
from orders.models import ImportCase
from orders.services import REQUEST_FIELDS, case_create
from orders.states import CaseStatus

S = CaseStatus

RESUPPLY_FROM = (S.DELIVERED, S.CLOSED)
# The request as the physician wrote it last time (the product is passed on its own);
# they review it before submitting.
COPIED_FIELDS = tuple(name for name in REQUEST_FIELDS if name != "product")


def case_create_resupply(*, case: ImportCase, actor: User) -> ImportCase:
    """Open the draft of the next import of `case`, pre-filled from it."""
    source = ImportCase.objects.select_related("patient", "physician", "product", "pathway").get(
        pk=case.pk
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
    return case_create(
        actor=actor,
        patient=source.patient,
        physician=source.physician,
        product=source.product,
        pathway=source.pathway,
        resupply_of=source,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
