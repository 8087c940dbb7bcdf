"""Forms of the patient tracker: parse and validate only."""

from __future__ import annotations

from django import forms

from documents.models import DocumentKind
from orders.models import AdverseEvent
from portals.forms import DateInput, file_field

K = DocumentKind


class PatientUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="Document",
        choices=[
            (K.PATIENT_IDENTITY, "Identity document (Aadhaar, passport)"),
            (K.PATIENT_CONSENT, "Signed consent form"),
        ],
    )
    file = file_field("File", required=True)


class ConfirmDeliveryForm(forms.Form):
    delivered_lot = forms.CharField(
        max_length=100,
        required=False,
        label="Lot number on the pack (optional)",
        help_text="Printed near the expiry date. Leave empty if you cannot find it.",
    )


class SideEffectForm(forms.Form):
    onset_date = forms.DateField(widget=DateInput, label="When did it start?")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), label="What are you feeling?"
    )
    seriousness = forms.ChoiceField(
        choices=[
            (AdverseEvent.Seriousness.SERIOUS, "Yes: I needed hospital care or it is severe"),
            (AdverseEvent.Seriousness.NON_SERIOUS, "No"),
        ],
        widget=forms.RadioSelect,
        label="Is it serious?",
        help_text="In an emergency call your local emergency number first.",
    )
