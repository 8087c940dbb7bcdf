"""Forms of the physician portal. They only parse and validate what was typed; the
services (orders.services, portals.physician.requests, documents.services,
documents.signatures, orders.adverse_events) decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from documents.models import DocumentKind
from orders.guards import REQUEST_NEEDS, blank
from orders.models import AdverseEvent, Patient, Physician, Product
from orders.patients import patients_like, patients_of
from orders.states import CaseStatus
from portals.forms import DateInput, file_field

K = DocumentKind


class MyCasesFilterForm(forms.Form):
    """Search and state on "My cases"; the term travels as a session token (see
    portals.coordinator.search), never in the URL."""

    q = forms.CharField(max_length=100, required=False, label=_("Search"))
    state = forms.ChoiceField(
        choices=[("", "Every state"), *CaseStatus.choices], required=False, label=_("State")
    )


class RequestFieldsForm(forms.Form):
    """The request itself. Drafts may be incomplete: the submit guard names what is
    missing, so nothing here is required but the product."""

    product = forms.ModelChoiceField(
        queryset=Product.objects.order_by("brand_name", "strength"),
        empty_label=_("Choose from the catalogue"),
        help_text=_("Only products in the service's catalogue can be imported."),
    )
    prescribed_dose = forms.CharField(
        max_length=200,
        required=False,
        label=_("Prescribed dose"),
        help_text='As on the prescription, e.g. "23.7 mg (3 capsules) twice daily".',
    )
    daily_units = forms.IntegerField(
        min_value=1,
        required=False,
        label=_("Units taken per day"),
        help_text=_("Capsules or tablets a day."),
    )
    quantity_packs = forms.IntegerField(min_value=1, required=False, label=_("Quantity (packs)"))
    treatment_days = forms.IntegerField(
        min_value=1, required=False, label=_("Treatment duration (days)")
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label=_("Clinical justification"),
        help_text=_("Diagnosis, treatments tried, and why no product registered here will do."),
    )

    REQUEST_FIELDS = (
        "product",
        "prescribed_dose",
        "daily_units",
        "quantity_packs",
        "treatment_days",
        "justification",
    )

    def request_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.REQUEST_FIELDS}
        for text in ("prescribed_dose", "justification"):
            data[text] = data[text] or ""
        return data


class NewRequestForm(RequestFieldsForm):
    PATIENT_FIELDS = (
        "full_name",
        "date_of_birth",
        "sex",
        "occupation",
        "id_document_type",
        "id_document_number",
        "address",
        "city",
        "state",
        "postal_code",
        "phone",
        "email",
        "language",
    )
    REQUIRED_FOR_NEW = (
        "full_name",
        "date_of_birth",
        "sex",
        "occupation",  # Form 12A names the applicant's occupation
        "id_document_type",
        "id_document_number",
        "address",
        "city",
        "postal_code",
    )

    patient_choice = forms.ChoiceField(
        label=_("Who is the request for?"),
        choices=[("existing", "A patient of mine"), ("new", "A new patient")],
        widget=forms.RadioSelect,
        initial="existing",
    )
    patient = forms.ModelChoiceField(
        queryset=Patient.objects.none(), required=False, label=_("Existing patient")
    )
    full_name = forms.CharField(max_length=200, required=False, label=_("Full name"))
    date_of_birth = forms.DateField(required=False, widget=DateInput, label=_("Date of birth"))
    sex = forms.ChoiceField(choices=[("", "Choose"), *Patient.Sex.choices], required=False)
    occupation = forms.CharField(
        max_length=100,
        required=False,
        help_text=_("The import application (Form 12A) asks for the applicant's occupation."),
    )
    id_document_type = forms.ChoiceField(
        choices=[("", "Choose"), *Patient.IdentityDocument.choices],
        required=False,
        label=_("Identity document"),
    )
    id_document_number = forms.CharField(
        max_length=40,
        required=False,
        label=_("Identity document number"),
        help_text=_("Only the last four characters are kept."),
    )
    address = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Delivery address")
    )
    city = forms.CharField(max_length=100, required=False)
    state = forms.CharField(max_length=100, required=False)
    postal_code = forms.CharField(max_length=20, required=False, label=_("Postal code"))
    phone = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(
        required=False,
        help_text=_("With an email address the patient is invited to follow the import online."),
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        initial="en",
        required=False,
        label=_("Patient's language"),
        help_text=_("The invitation, the tracker, messages and papers are written in it."),
    )
    prescription = file_field("Prescription")
    # Asked only when a patient of the physician's looks like the new one: "new" to
    # create them anyway, or the id of the existing patient to use instead.
    use_patient = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["patient_choice", "patient", *PATIENT_FIELDS]

    def __init__(self, data=None, files=None, *, physician: Physician, **kwargs: Any) -> None:
        choice = (data.get("use_patient") or "") if data is not None else ""
        if choice.isdigit():
            # "Use this patient": the request is for the existing one (the field's
            # choices, the physician's own patients, decide whether it is taken).
            data = data.copy()
            data["patient_choice"], data["patient"] = "existing", choice
        super().__init__(data, files, **kwargs)
        self.physician = physician
        self.submitting = data is not None and data.get("action") == "submit"
        self.duplicates: list[Patient] = []
        self.fields["patient"].queryset = patients_of(physician)
        if not self.fields["patient"].queryset.exists():
            self.fields["patient_choice"].initial = "new"
        for name in (*self.REQUIRED_FOR_NEW, *NEEDED_TO_SUBMIT):
            self.fields[name].needed = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("patient_choice") == "existing":
            if not data.get("patient"):
                self.add_error("patient", "Choose the patient, or add a new one.")
        else:
            for name in self.REQUIRED_FOR_NEW:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "This field is required for a new patient.")
            if data.get("use_patient") != "new":
                self._look_for_the_same_patient(data)
        if self.submitting:
            # Every field a submission needs, in this one round (the guard would
            # otherwise name them after the draft was saved).
            for name, words in NEEDED_TO_SUBMIT.items():
                if blank(data.get(name)) and name not in self.errors:
                    self.add_error(name, f"Needed to submit: {words}.")
        return data

    def _look_for_the_same_patient(self, data: dict[str, Any]) -> None:
        self.duplicates = list(
            patients_like(
                self.physician,
                full_name=data.get("full_name") or "",
                date_of_birth=data.get("date_of_birth"),
                id_number=data.get("id_document_number") or "",
            )
        )
        if self.duplicates:
            self.add_error(
                None,
                "You may already have this patient: use the existing record below, or "
                "confirm that this is someone else.",
            )

    def patient_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in self.PATIENT_FIELDS}


# What a submission needs of the request form: the guard's request fields (in its
# words) and the prescription the pathway asks for.
NEEDED_TO_SUBMIT = {**REQUEST_NEEDS, "prescription": "the prescription"}


class PhysicianUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[
            (K.PRESCRIPTION, K.PRESCRIPTION.label),
            (K.MEDICAL_REPORT, K.MEDICAL_REPORT.label),
        ],
    )
    file = file_field("File", required=True)


class AnswerForm(forms.Form):
    answer = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label=_("Your answer"),
        help_text=_("The coordinator reads this with the documents you add."),
    )
    kind = forms.ChoiceField(
        label=_("Document (optional)"),
        required=False,
        choices=[
            (K.MEDICAL_REPORT, K.MEDICAL_REPORT.label),
            (K.PRESCRIPTION, K.PRESCRIPTION.label),
        ],
    )
    file = file_field("File")


class SignUndertakingForm(forms.Form):
    """Sign the undertaking the page shows: the one the system generated."""

    printed_name = forms.CharField(
        max_length=200, label=_("Type your full name"), help_text=_("As on your registration.")
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label=_("Your password"),
        help_text=_(
            "Re-enter your password to sign. The time and your network address are recorded."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have read this undertaking and sign it as its author."),
        error_messages={"required": "Confirm what your signature means to sign."},
    )
    # The data version of the text shown: signing refuses if it changed since.
    read_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class SignScanForm(SignUndertakingForm):
    """Or send the undertaking signed on paper, confirmed with name and password."""

    undertaking = file_field(
        "Your undertaking signed on paper (scan)",
        required=True,
        help_text=_("The PDF above, signed by hand: a PDF, or a photo (JPEG, PNG), up to 10 MB."),
    )

    field_order = ["undertaking", "printed_name", "password", "confirm"]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason"))


class AdverseEventForm(forms.Form):
    onset_date = forms.DateField(widget=DateInput, label=_("When did it start?"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), label=_("What happened?")
    )
    seriousness = forms.ChoiceField(
        choices=AdverseEvent.Seriousness.choices,
        widget=forms.RadioSelect,
        label=_("Is it serious?"),
        help_text=_(
            "Serious: needed hospital care, was life-threatening, disabling, or caused death."
        ),
    )
    outcome = forms.ChoiceField(choices=AdverseEvent.Outcome.choices, label=_("Outcome so far"))
    lot_number = forms.CharField(
        max_length=100, required=False, label=_("Lot number on the pack (if known)")
    )
