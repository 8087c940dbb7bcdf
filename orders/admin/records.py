"""What transitions write (shipments, verifications), the history, the counter."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from orders.admin.base import ReadOnlyAdmin, VisibleCaseRowsMixin, is_coordinator
from orders.models import (
    CaseEvent,
    CaseSequence,
    Shipment,
    Verification,
)

# --- What transitions write, and the history --------------------------------------------


@admin.register(Shipment)
class ShipmentAdmin(VisibleCaseRowsMixin, ReadOnlyAdmin):
    list_display = [
        "case",
        "supplier",
        "batch_number",
        "expiry_date",
        "quantity_packs",
        "courier",
        "tracking_number",
        "rejected_at",
    ]
    list_filter = ["supplier", "courier", ("rejected_at", admin.EmptyFieldListFilter)]
    search_fields = ["case__reference", "batch_number", "tracking_number", "purchase_order_number"]
    list_select_related = ["case", "supplier"]


@admin.register(Verification)
class VerificationAdmin(VisibleCaseRowsMixin, ReadOnlyAdmin):
    list_display = [
        "case",
        "prescription_date",
        "prescriber_registration_checked",
        "patient_identity_checked",
        "product_match_checked",
        "signature_checked",
        "co_medications_reviewed",
        "updated_by",
        "updated_at",
    ]
    list_filter = ["co_medications_reviewed", "signature_checked"]
    search_fields = ["case__reference"]
    list_select_related = ["case", "updated_by"]


@admin.register(CaseEvent)
class CaseEventAdmin(VisibleCaseRowsMixin, ReadOnlyAdmin):
    """The audit trail: append-only, so nobody changes or deletes it here either."""

    list_display = ["created_at", "case", "transition", "from_state", "to_state", "actor"]
    list_filter = ["transition", "to_state"]
    search_fields = ["case__reference", "note", "actor__email", "actor__full_name"]
    list_select_related = ["case", "actor"]
    fields = [
        "case",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "on_behalf_of",
        "created_at",
        "note",
        "data",
    ]


@admin.register(CaseSequence)
class CaseSequenceAdmin(ReadOnlyAdmin):
    list_display = ["year", "last_number"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseSequence]:
        sequences = super().get_queryset(request)
        return sequences if is_coordinator(request.user) else sequences.none()
