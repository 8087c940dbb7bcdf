"""The import case's states, in the coordinator's words and in the patient's."""

from __future__ import annotations

from django.db import models


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted, awaiting verification"
    INFORMATION_REQUESTED = "information_requested", "Information requested"
    FORMS_PREPARATION = "forms_preparation", "Forms preparation"
    AWAITING_PERMIT = "awaiting_permit", "Awaiting permit"
    SUPPLIER_ORDERING = "supplier_ordering", "Supplier ordering"
    IN_TRANSIT = "in_transit", "In transit"
    CUSTOMS_CLEARANCE = "customs_clearance", "Customs clearance"
    QUARANTINED = "quarantined", "Quarantined"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    CLOSED = "closed", "Closed"
    ON_HOLD = "on_hold", "On hold"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


S = CaseStatus

PATIENT_LABELS: dict[str, str] = {
    S.DRAFT: "Request started",
    S.SUBMITTED: "We are checking the prescription",
    S.INFORMATION_REQUESTED: "Waiting for your doctor",
    S.FORMS_PREPARATION: "Preparing the import application",
    S.AWAITING_PERMIT: "Waiting for the import permit",
    S.SUPPLIER_ORDERING: "Ordering from the manufacturer",
    S.IN_TRANSIT: "On its way",
    S.CUSTOMS_CLEARANCE: "At customs",
    S.QUARANTINED: "Held for a quality check",
    S.OUT_FOR_DELIVERY: "Out for delivery",
    S.DELIVERED: "Delivered",
    S.CLOSED: "Completed",
    S.ON_HOLD: "Paused",
    S.REJECTED: "Not approved",
    S.CANCELLED: "Cancelled",
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
