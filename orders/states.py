"""The import case's states, in the coordinator's words and in the patient's."""

from __future__ import annotations

from django.db import models

# Labels are marked for the catalogue but stay plain English strings (stored, hashed,
# serialized); each reader's page or message translates them (orders.tracker).
from django.utils.translation import gettext_noop as _


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting verification")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")
    FORMS_PREPARATION = "forms_preparation", _("Forms preparation")
    AWAITING_PERMIT = "awaiting_permit", _("Awaiting permit")
    SUPPLIER_ORDERING = "supplier_ordering", _("Supplier ordering")
    IN_TRANSIT = "in_transit", _("In transit")
    CUSTOMS_CLEARANCE = "customs_clearance", _("Customs clearance")
    QUARANTINED = "quarantined", _("Quarantined")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    ON_HOLD = "on_hold", _("On hold")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


S = CaseStatus

PATIENT_LABELS: dict[str, str] = {
    S.DRAFT: _("Request started"),
    S.SUBMITTED: _("We are checking the prescription"),
    S.INFORMATION_REQUESTED: _("Waiting for your doctor"),
    S.FORMS_PREPARATION: _("Preparing the import application"),
    S.AWAITING_PERMIT: _("Waiting for the import permit"),
    S.SUPPLIER_ORDERING: _("Ordering from the manufacturer"),
    S.IN_TRANSIT: _("On its way"),
    S.CUSTOMS_CLEARANCE: _("At customs"),
    S.QUARANTINED: _("Held for a quality check"),
    S.OUT_FOR_DELIVERY: _("Out for delivery"),
    S.DELIVERED: _("Delivered"),
    S.CLOSED: _("Completed"),
    S.ON_HOLD: _("Paused"),
    S.REJECTED: _("Not approved"),
    S.CANCELLED: _("Cancelled"),
}

TERMINAL_STATES = (S.CLOSED, S.REJECTED, S.CANCELLED)

# States a case can be paused from (and so returned to by `resume`).
ACTIVE_STATES = (
    S.SUBMITTED,
    S.INFORMATION_REQUESTED,
    S.FORMS_PREPARATION,
    S.AWAITING_PERMIT,
    S.SUPPLIER_ORDERING,
    S.IN_TRANSIT,
    S.CUSTOMS_CLEARANCE,
    S.QUARANTINED,
    S.OUT_FOR_DELIVERY,
    S.DELIVERED,
)

# What the coordinators' queue lists: every case someone is working on.
OPEN_STATES = (*ACTIVE_STATES, S.ON_HOLD)

# Before the goods are dispatched a case can still be withdrawn.
BEFORE_DISPATCH = (
    S.DRAFT,
    S.SUBMITTED,
    S.INFORMATION_REQUESTED,
    S.FORMS_PREPARATION,
    S.AWAITING_PERMIT,
    S.SUPPLIER_ORDERING,
)

# The line every import follows when nothing goes wrong, request to record.
HAPPY_PATH = (
    S.DRAFT,
    S.SUBMITTED,
    S.FORMS_PREPARATION,
    S.AWAITING_PERMIT,
    S.SUPPLIER_ORDERING,
    S.IN_TRANSIT,
    S.CUSTOMS_CLEARANCE,
    S.OUT_FOR_DELIVERY,
    S.DELIVERED,
    S.CLOSED,
)
