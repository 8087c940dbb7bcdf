"""What the API reads and writes. Serializers parse and check shape only: the
services decide (orders.services, documents.services, orders.adverse_events)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from rest_framework import serializers

from npp.accounts.models import Role
from orders import timeline
from orders.models import AdverseEvent, ImportCase, Pathway, Priority, Product
from orders.papers import DocumentKind, ReviewStatus
from orders.services import available_transitions
from orders.states import PATIENT_LABELS, CaseStatus
from orders.tracker import expected_by


class PartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    brand_name = serializers.CharField()
    generic_name = serializers.CharField()
    strength = serializers.CharField()


class ShipmentSerializer(serializers.Serializer):
    supplier = serializers.CharField(source="supplier.name", allow_null=True, default=None)
    courier = serializers.CharField()
    tracking_number = serializers.CharField()
    batch_number = serializers.CharField()
    expiry_date = serializers.DateField(allow_null=True)
    quantity_packs = serializers.IntegerField(allow_null=True)


# What only the import team and the case's physician read; a patient (and a
# courier's account) gets null for each.
CLINICAL_FIELDS = (
    "justification",
    "physician",
    "assigned_coordinator",
    "regulator_reference",
    "permit_number",
    "permit_issued_on",
    "permit_valid_until",
    "permitted_quantity_packs",
    "bill_of_entry_number",
    "clearance_date",
)
CARRIER_HIDDEN = (*CLINICAL_FIELDS, "patient", "prescribed_dose", "daily_units", "treatment_days")


class CaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    # Labels are words to show a person, in the caller's language (a signed-in user's
    # own, otherwise what the request's Accept-Language asks); the codes stay the same.
    status_label = serializers.SerializerMethodField(
        help_text="The state in the import team's words, in the caller's language."
    )
    patient_status_label = serializers.SerializerMethodField(
        help_text="The state in the patient's words, in the caller's language."
    )
    priority = serializers.ChoiceField(choices=Priority.choices)
    pathway = serializers.CharField(source="pathway.code")
    product = ProductSerializer()
    patient = PartySerializer(allow_null=True)
    physician = PartySerializer(allow_null=True)
    assigned_coordinator = PartySerializer(allow_null=True)
    prescribed_dose = serializers.CharField(allow_null=True)
    daily_units = serializers.IntegerField(allow_null=True)
    quantity_packs = serializers.IntegerField(allow_null=True)
    treatment_days = serializers.IntegerField(allow_null=True)
    justification = serializers.CharField(allow_null=True)
    port_of_entry = serializers.CharField()
    regulator_reference = serializers.CharField(allow_null=True)
    permit_number = serializers.CharField(allow_null=True)
    permit_issued_on = serializers.DateField(allow_null=True)
    permit_valid_until = serializers.DateField(allow_null=True)
    permitted_quantity_packs = serializers.IntegerField(allow_null=True)
    bill_of_entry_number = serializers.CharField(allow_null=True)
    clearance_date = serializers.DateField(allow_null=True)
    delivered_to = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    delivered_lot = serializers.CharField()
    shipment = serializers.SerializerMethodField()
    expected_by = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField(
        help_text="The transitions the caller may attempt now (guards not evaluated)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    state_changed_at = serializers.DateTimeField()

    def get_status_label(self, case: ImportCase) -> str:
        return gettext(case.get_status_display())

    def get_patient_status_label(self, case: ImportCase) -> str:
        label = PATIENT_LABELS.get(case.status, "")
        return gettext(label) if label else ""

    def get_shipment(self, case: ImportCase) -> ShipmentSerializer(allow_null=True):  # type: ignore[valid-type]
        shipment = case.current_shipment
        return ShipmentSerializer(shipment).data if shipment else None

    def get_expected_by(self, case: ImportCase) -> serializers.DateField(allow_null=True):  # type: ignore[valid-type]
        return expected_by(case)

    def get_transitions(self, case: ImportCase) -> list[str]:
        return available_transitions(case=case, actor=self.context["request"].user)

    def to_representation(self, case: ImportCase) -> dict[str, Any]:
        data = super().to_representation(case)
        user = self.context["request"].user
        hidden = ()
        if user.role == Role.PATIENT:
            hidden = CLINICAL_FIELDS
        elif user.role == Role.SYSTEM:
            hidden = CARRIER_HIDDEN
            data["transitions"] = []
        for name in hidden:
            data[name] = None
        return data


class CaseWriteSerializer(serializers.Serializer):
    """The request's own fields, as the physician writes them while drafting."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    prescribed_dose = serializers.CharField(max_length=200, required=False, allow_blank=True)
    daily_units = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    quantity_packs = serializers.IntegerField(min_value=1, max_value=10_000, required=False)
    treatment_days = serializers.IntegerField(min_value=1, max_value=3650, required=False)
    justification = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    port_of_entry = serializers.CharField(max_length=20, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)


class CaseCreateSerializer(CaseWriteSerializer):
    patient = serializers.IntegerField(help_text="An existing patient's id.")
    physician = serializers.IntegerField(
        required=False, help_text="The prescribing physician's id (coordinators only)."
    )
    pathway = serializers.SlugRelatedField(
        slug_field="code", queryset=Pathway.objects.all(), required=False
    )


class CaseUpdateSerializer(CaseWriteSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False)


class EventDetailSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.JSONField(help_text="A text, or a list of texts.")


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    transition = serializers.CharField()
    title = serializers.SerializerMethodField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor.full_name")
    on_behalf_of = serializers.CharField(source="on_behalf_of.full_name", allow_null=True)
    note = serializers.CharField()
    details = serializers.SerializerMethodField()
    data = serializers.JSONField()
    created_at = serializers.DateTimeField()

    def get_title(self, event) -> str:
        return timeline.event_title(event)

    def get_details(self, event) -> EventDetailSerializer(many=True):  # type: ignore[valid-type]
        return timeline.event_details(event, product=self.context.get("product"))

    def to_representation(self, event) -> dict[str, Any]:
        data = super().to_representation(event)
        if event.on_behalf_of_id is None:
            data["on_behalf_of"] = None
        return data


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    kind_label = serializers.SerializerMethodField(help_text="In the caller's language.")
    version = serializers.IntegerField()
    original_filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    generated = serializers.BooleanField()
    review_status = serializers.ChoiceField(choices=ReviewStatus.choices)
    review_reason = serializers.CharField()
    current = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_kind_label(self, document) -> str:
        return gettext(document.get_kind_display())

    def get_current(self, document) -> bool:
        return document.pk not in self.context.get("superseded", ())

    def get_download_url(self, document) -> str:
        return reverse("api:document-download", args=[document.pk])


class DocumentUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    file = serializers.FileField(help_text="PDF, JPEG or PNG (a temperature log: CSV).")


class AdverseEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    reported_at = serializers.DateTimeField()
    onset_date = serializers.DateField()
    description = serializers.CharField()
    seriousness = serializers.ChoiceField(choices=AdverseEvent.Seriousness.choices)
    outcome = serializers.ChoiceField(choices=AdverseEvent.Outcome.choices)
    lot_number = serializers.CharField()
    due_on = serializers.DateField()
    forwarded_at = serializers.DateTimeField(allow_null=True)


class AdverseEventReportSerializer(serializers.Serializer):
    onset_date = serializers.DateField()
    description = serializers.CharField(max_length=10_000)
    seriousness = serializers.ChoiceField(choices=AdverseEvent.Seriousness.choices)
    outcome = serializers.ChoiceField(
        choices=AdverseEvent.Outcome.choices, required=False, default=AdverseEvent.Outcome.UNKNOWN
    )
    lot_number = serializers.CharField(max_length=100, required=False, allow_blank=True)


class InboxMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    case = serializers.CharField(source="case.reference", allow_null=True, default=None)
    category = serializers.CharField()
    subject = serializers.CharField()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class PageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")


class CasePageSerializer(PageSerializer):
    results = CaseSerializer(many=True)


class InboxPageSerializer(PageSerializer):
    results = InboxMessageSerializer(many=True)
