"""Forms of the patient tracker: parse and validate only."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from documents.models import DocumentKind, SignerCapacity
from orders.models import AdverseEvent
from portals.forms import DateInput, file_field

K = DocumentKind


class PatientUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[
            (K.PATIENT_IDENTITY, _("Identity document (Aadhaar, passport)")),
            (K.PATIENT_CONSENT, _("Signed consent form")),
        ],
    )
    file = file_field(_("File"), required=True)


class SignConsentForm(forms.Form):
    """Sign the consent the page shows. For a minor, a parent or legal guardian signs
    with their own name and says which they are."""

    printed_name = forms.CharField(max_length=200, label=_("Type your full name"))
    capacity = forms.ChoiceField(
        label=_("You sign as"),
        required=False,
        choices=[
            (SignerCapacity.PARENT, _("Parent of the patient")),
            (SignerCapacity.GUARDIAN, _("Legal guardian of the patient")),
        ],
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        label=_("Your password"),
        help_text=_(
            "The password you sign in with. The date and time are recorded with your name."
        ),
    )
    confirm = forms.BooleanField(
        label=_("I have read this consent and I give it."),
        error_messages={"required": _("Confirm that you give this consent to sign it.")},
    )
    read_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, minor: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if minor:
            self.fields["capacity"].required = True
            self.fields["printed_name"].label = _("Type your own full name (parent or guardian)")
        else:
            del self.fields["capacity"]


class ConfirmDeliveryForm(forms.Form):
    delivered_lot = forms.CharField(
        max_length=100,
        required=False,
        label=_("Lot number on the pack (optional)"),
        help_text=_("Printed near the expiry date. Leave empty if you cannot find it."),
    )


class SideEffectForm(forms.Form):
    onset_date = forms.DateField(widget=DateInput, label=_("When did it start?"))
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), label=_("What are you feeling?")
    )
    seriousness = forms.ChoiceField(
        choices=[
            (AdverseEvent.Seriousness.SERIOUS, _("Yes: I needed hospital care or it is severe")),
            (AdverseEvent.Seriousness.NON_SERIOUS, _("No")),
        ],
        widget=forms.RadioSelect,
        label=_("Is it serious?"),
        help_text=_("In an emergency call your local emergency number first."),
    )
