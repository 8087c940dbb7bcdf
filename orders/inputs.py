"""What each transition takes from the person making it.

These forms only parse and check shape (types, dates, numbers). Whether the data
is *enough* is for the guards to say, so every field is optional here and an empty
one reaches the guard, which names it. `apply` writes the values onto the case (or
its shipment or verification) inside the service's transaction: if a guard then
refuses, the transaction rolls back and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.utils import timezone

from orders.models import DutyExemption, ImportCase, Shipment, Supplier, Verification
from orders.papers import DocumentKind


class TransitionInput(forms.Form):
    def __init__(self, *args: Any, case: ImportCase, actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.actor = actor
        for field in self.fields.values():
            field.required = False

    def apply(self) -> None:
        for name, value in self.cleaned_data.items():
            setattr(self.case, name, "" if value is None and self._is_text(name) else value)

    def _is_text(self, name: str) -> bool:
        return isinstance(self.fields[name], forms.CharField)

    def record(self) -> dict[str, Any]:
        """The inputs as JSON-safe data for the case event."""
        return {name: _jsonable(value) for name, value in self.cleaned_data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return {"id": value.pk, "name": str(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class LinesField(forms.CharField):
    """Text with one item per line or comma. A list (JSON from the API, or cleaned
    data handed on by the admin) stays a list: CharField would turn it into its
    repr, "['a', 'b']", and the items would be split out of that string."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [str(item) for item in value]
        return super().to_python(value)


class VerifyInput(TransitionInput):
    prescriber_registration_checked = forms.BooleanField(
        label="Prescriber's registration confirmed"
    )
    patient_identity_checked = forms.BooleanField(label="Patient identity matches")
    product_match_checked = forms.BooleanField(
        label="Drug, strength, dose and quantity match the prescription"
    )
    signature_checked = forms.BooleanField(label="Prescription is signed")
    prescription_date = forms.DateField()
    co_medications_reviewed = forms.BooleanField(label="Co-medications reviewed")
    co_medications = LinesField(widget=forms.Textarea, help_text="One per line or comma-separated.")
    threshold_justification = forms.CharField(widget=forms.Textarea)
    port_of_entry = forms.ChoiceField(
        label="Port of entry", help_text="Where the goods clear customs (Form 12A asks for it)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["port_of_entry"].choices = [
            ("", "Choose a port"),
            *self.case.pathway.port_choices(),
        ]
        # One field per safety threshold the product defines (eGFR, BP, ...).
        for threshold in self.case.product.safety_thresholds:
            self.fields[f"measure_{threshold['measure']}"] = forms.DecimalField(
                label=f"{threshold['label']} ({threshold.get('unit', '')})".replace(" ()", ""),
                required=False,
                max_digits=7,
                decimal_places=2,
            )

    def clean_co_medications(self) -> list[str]:
        raw = self.cleaned_data.get("co_medications") or ""
        if isinstance(raw, list):
            return [str(item).strip() for item in raw if str(item).strip()]
        return [item.strip() for item in raw.replace(",", "\n").splitlines() if item.strip()]

    def apply(self) -> None:
        data = self.cleaned_data
        measurements = {
            name.removeprefix("measure_"): str(value)
            for name, value in data.items()
            if name.startswith("measure_") and value is not None
        }
        Verification.objects.update_or_create(
            case=self.case,
            defaults={
                **{field: data[field] for field, _ in Verification.CHECKLIST},
                "prescription_date": data["prescription_date"],
                "co_medications_reviewed": data["co_medications_reviewed"],
                "co_medications": data["co_medications"],
                "measurements": measurements,
                "threshold_justification": data["threshold_justification"] or "",
                "updated_by": self.actor,
            },
        )
        # The guard reads case.verification: drop any cached copy.
        self.case._state.fields_cache.pop("verification", None)
        if data["port_of_entry"]:
            self.case.port_of_entry = data["port_of_entry"]


class FileApplicationInput(TransitionInput):
    regulator_reference = forms.CharField(max_length=100, label="Regulator's reference number")

    def record(self) -> dict[str, Any]:
        """The reference, and the exact pack that was filed: later versions of the pack
        may follow (a return to preparation), but the event names the one the regulator
        has, and that version stays stored and downloadable."""
        pack = (
            self.case.documents.current()
            .filter(kind=DocumentKind.REGULATORY_APPLICATION)
            .only("pk", "version", "sha256")
            .first()
        )
        filed = (
            {"document_id": pack.pk, "version": pack.version, "sha256": pack.sha256}
            if pack is not None
            else None  # the guard refuses the filing: no accepted pack
        )
        return {**super().record(), "filed_pack": filed}


class RecordPermitInput(TransitionInput):
    permit_number = forms.CharField(max_length=100)
    permit_issued_on = forms.DateField(label="Issued on")
    permit_valid_until = forms.DateField(label="Valid until")
    permitted_quantity_packs = forms.IntegerField(min_value=1, label="Permitted quantity (packs)")


class DispatchInput(TransitionInput):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.all())
    purchase_order_number = forms.CharField(max_length=100)
    batch_number = forms.CharField(max_length=100, label="Batch/lot number")
    manufactured_on = forms.DateField()
    expiry_date = forms.DateField()
    quantity_packs = forms.IntegerField(min_value=1, label="Quantity (packs)")
    courier = forms.CharField(max_length=100)
    tracking_number = forms.CharField(max_length=100)

    def apply(self) -> None:
        shipment = self.case.current_shipment or Shipment(case=self.case)
        for name, value in self.cleaned_data.items():
            setattr(shipment, name, "" if value is None and self._is_text(name) else value)
        shipment.save()


class ClearCustomsInput(TransitionInput):
    bill_of_entry_number = forms.CharField(max_length=100, label="Bill of Entry number")
    assessable_value = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    duty_amount = forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, label="Duty paid"
    )
    duty_exemption = forms.ChoiceField(choices=DutyExemption.choices)
    clearance_date = forms.DateField()


class ConfirmDeliveryInput(TransitionInput):
    delivered_to = forms.CharField(max_length=200, label="Received by")
    delivered_at = forms.DateTimeField(label="Received at")
    delivered_lot = forms.CharField(max_length=100, label="Lot delivered")

    def apply(self) -> None:
        super().apply()
        # A patient confirming on their own page is the receiver, now; the lot is the
        # one shipped unless they typed the one on their pack.
        if self.actor.pk == self.case.patient.user_id:
            self.case.delivered_to = self.case.patient.full_name
            self.case.delivered_at = timezone.now()
            if not self.case.delivered_lot and self.case.current_shipment:
                self.case.delivered_lot = self.case.current_shipment.batch_number

    def record(self) -> dict[str, Any]:
        # The event is the proof of delivery an inspector reads: record who received
        # which lot and when as stored, not the (empty) form a patient confirmed with.
        return {name: _jsonable(getattr(self.case, name)) for name in self.fields}


INPUTS: dict[str, type[TransitionInput]] = {
    "verify": VerifyInput,
    "file_application": FileApplicationInput,
    "record_permit": RecordPermitInput,
    "dispatch": DispatchInput,
    "clear_customs": ClearCustomsInput,
    "confirm_delivery": ConfirmDeliveryInput,
}
