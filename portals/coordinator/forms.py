"""Page forms of the coordinator workbench. They parse and check shape only; the
services (and the state machine's guards) decide."""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from documents.generation.parts import order_number
from documents.generation.quality_release import SIGNED_TRANSITIONS
from documents.models import DocumentKind
from orders.inputs import INPUTS, TransitionInput
from orders.models import ImportCase, Product, Supplier
from orders.search import is_searchable
from orders.selectors import QUEUE_STATES, QueueFilters, coordinators
from orders.services import TRANSITIONS
from orders.states import CaseStatus
from portals.forms import DateInput, DateTimeInput

S = CaseStatus


# --- The queue --------------------------------------------------------------------------


class QuickSelect(forms.Select):
    """A select drawn in Python: the queue's filters list every physician, and a
    template per option would cost more than the rest of the page together."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        selected = "" if value is None else str(value)

        def option(key: Any, label: Any) -> str:
            mark = " selected" if str(key) == selected else ""
            return f'<option value="{escape(key)}"{mark}>{escape(label)}</option>'

        options = "".join(
            f'<optgroup label="{escape(key)}">{"".join(option(*c) for c in label)}</optgroup>'
            if isinstance(label, list | tuple)
            else option(key, label)
            for key, label in self.choices
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(final), mark_safe(options)
        )


class QueueFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label=_("Search all cases"),
        widget=forms.SearchInput(
            attrs={"placeholder": "Reference, patient, phone, permit, lot, AWB, Bill of Entry"}
        ),
    )
    state = forms.ChoiceField(required=False, label=_("State"), widget=QuickSelect)
    coordinator = forms.ChoiceField(required=False, label=_("Coordinator"), widget=QuickSelect)
    # Plain choices from two columns: no model instance per physician on every view.
    product = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Product"), widget=QuickSelect
    )
    # Typed, with names suggested as one types (npp.js asks physician_suggestions):
    # a list of every physician would be thousands of options on every queue view.
    physician = forms.CharField(
        required=False,
        max_length=200,
        label=_("Physician"),
        widget=forms.TextInput(
            attrs={
                "list": "physician-suggestions",
                "autocomplete": "off",
                "data-suggest": "",
                "placeholder": "Any physician",
            }
        ),
    )
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    payment = forms.ChoiceField(
        required=False,
        label=_("Payment"),
        choices=[("", "Any"), ("due", "Amount due"), ("overdue", "Payment overdue")],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [
            ("", "All open cases"),
            ("Open", [(state, S(state).label) for state in QUEUE_STATES]),
            (
                "Not in the queue",
                [(state, S(state).label) for state in (S.DRAFT, S.CLOSED, S.REJECTED, S.CANCELLED)],
            ),
        ]
        self.fields["coordinator"].choices = [
            ("", "Anyone"),
            ("me", "Assigned to me"),
            ("none", "Not assigned"),
            *[(str(u.pk), u.full_name) for u in coordinators() if u.pk != user.pk],
        ]
        self.fields["product"].choices = [
            ("", "Any product"),
            *(
                (pk, f"{brand} {strength}")
                for pk, brand, strength in Product.objects.order_by("brand_name").values_list(
                    "pk", "brand_name", "strength"
                )
            ),
        ]
        self.fields["physician"].widget.attrs["data-suggest"] = reverse(
            "orders:coordinator-physicians"
        )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"].strip()
        if q and not is_searchable(q):
            raise forms.ValidationError("Type at least three letters or digits to search.")
        return q

    def payment_filter(self) -> str:
        """'due', 'overdue' or '' (billing's filter, applied by the view)."""
        return self.cleaned_data.get("payment", "") if self.is_valid() else ""

    def filters(self) -> QueueFilters:
        """The filters as typed, or none when the form does not validate (an old link
        naming a physician who no longer exists shows the whole queue)."""
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            state=data["state"],
            coordinator=data["coordinator"],
            product=data["product"],
            physician=data["physician"].strip(),
            overdue=data["overdue"],
            q=data["q"].strip(),
        )


# --- Transitions ------------------------------------------------------------------------


class _NoInput(TransitionInput):
    """A transition that takes nothing but, perhaps, its reason."""


# Labels the page words better than the field names do.
PAGE_LABELS = {
    "co_medications": "Co-medications the patient takes",
    "threshold_justification": "Justification where a threshold is not met",
    "prescription_date": "Prescription date",
}


class TransitionFormMixin:
    """The page's version of a transition's INPUTS form: the same fields, a reason
    where the transition needs one, and the state the page was showing, so that a
    stale page cannot act on a case that has moved since."""

    transition: str = ""
    note_label: str = ""

    def setup_page_fields(self, case: ImportCase) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        if self.note_label:
            fields["note"] = forms.CharField(
                label=self.note_label.capitalize(),
                required=True,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Kept in the case history."),
            )
        for name, label in PAGE_LABELS.items():
            if name in fields:
                fields[name].label = label
        if self.transition in SIGNED_TRANSITIONS:
            fields["printed_name"] = forms.CharField(
                label=_("Type your full name to sign"), max_length=200, required=True
            )
            fields["password"] = forms.CharField(
                label=_("Your password"),
                required=True,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                help_text='Your electronic signature, meaning "quality release", goes on the '
                "case record with your name, the date and time.",
            )
            self.initial.setdefault("printed_name", self.actor.full_name)  # type: ignore[attr-defined]
        fields["seen_status"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.initial.setdefault("seen_status", case.status)  # type: ignore[attr-defined]
        for field in fields.values():
            if isinstance(field, forms.DateTimeField):
                field.widget = DateTimeInput()
            elif isinstance(field, forms.DateField):
                field.widget = DateInput()
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        seen = data.get("seen_status") or ""
        case = self.case  # type: ignore[attr-defined]
        if seen and seen != case.status:
            # A form-wide error: the field is hidden, the message must not be.
            raise forms.ValidationError(
                f"{case.reference} is now {case.get_status_display().lower()}: someone else "
                "acted on it while you were looking. Check the page again before acting."
            )
        return data

    def service_data(self) -> dict[str, Any]:
        """What the service takes as `data`: the inputs, without the note and the
        page's own field."""
        data = dict(self.cleaned_data)  # type: ignore[attr-defined]
        data.pop("note", None)
        data.pop("seen_status", None)
        data.pop("printed_name", None)
        data.pop("password", None)
        return data

    @property
    def note(self) -> str:
        return self.cleaned_data.get("note", "") if self.note_label else ""  # type: ignore


@functools.cache
def transition_form(transition: str) -> type[TransitionInput]:
    """The form for `transition` on the case page: exactly its INPUTS fields, plus a
    reason when the transition asks for one."""
    base = INPUTS.get(transition, _NoInput)
    note_label = TRANSITIONS[transition].custom.get("note", "")

    class PageTransitionForm(TransitionFormMixin, base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, case: ImportCase, actor: Any, **kwargs: Any) -> None:
            kwargs.setdefault("initial", initial_values(case, transition))
            kwargs.setdefault("prefix", transition)
            super().__init__(*args, case=case, actor=actor, **kwargs)
            self.setup_page_fields(case)

    PageTransitionForm.transition = transition
    PageTransitionForm.note_label = note_label
    PageTransitionForm.__name__ = f"{transition.title().replace('_', '')}PageForm"
    PageTransitionForm.__qualname__ = PageTransitionForm.__name__
    return PageTransitionForm


def initial_values(case: ImportCase, transition: str) -> dict[str, Any]:
    """Starting values from what the case already knows, so the coordinator types only
    what is new."""
    today = timezone.localdate()
    if transition == "verify":
        verification = getattr(case, "verification", None)
        if verification is None:
            return {"port_of_entry": case.port_of_entry}
        values: dict[str, Any] = {
            "port_of_entry": case.port_of_entry,
            "prescriber_registration_checked": verification.prescriber_registration_checked,
            "patient_identity_checked": verification.patient_identity_checked,
            "product_match_checked": verification.product_match_checked,
            "signature_checked": verification.signature_checked,
            "prescription_date": verification.prescription_date,
            "co_medications_reviewed": verification.co_medications_reviewed,
            "co_medications": "\n".join(verification.co_medications),
            "threshold_justification": verification.threshold_justification,
        }
        for measure, value in (verification.measurements or {}).items():
            values[f"measure_{measure}"] = value
        return values
    if transition == "file_application":
        return {"regulator_reference": case.regulator_reference}
    if transition == "record_permit":
        return {"permit_issued_on": today, "permitted_quantity_packs": case.quantity_packs}
    if transition == "dispatch":
        manufacturer = Supplier.objects.filter(kind=Supplier.Kind.MANUFACTURER).order_by("pk")
        shipment = case.current_shipment
        return {
            # The number on the purchase order the service generated and sent.
            "purchase_order_number": order_number(case, shipment),
            "supplier": manufacturer.first(),
            "quantity_packs": case.permitted_quantity_packs or case.quantity_packs,
        }
    if transition == "clear_customs":
        return {"clearance_date": today}
    if transition == "confirm_delivery":
        shipment = case.current_shipment
        return {
            "delivered_to": case.patient.full_name,
            "delivered_at": timezone.localtime().replace(second=0, microsecond=0),
            "delivered_lot": shipment.batch_number if shipment else "",
        }
    return {}


# --- The application ----------------------------------------------------------------------


class ApplicationForm(forms.Form):
    """What the coordinator settles for the application besides the request."""

    port_of_entry = forms.ChoiceField(
        label=_("Port of entry"), help_text=_("Where the goods clear customs; Form 12A names it.")
    )

    def __init__(self, *args: Any, case: ImportCase, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"port_of_entry": case.port_of_entry})
        kwargs.setdefault("prefix", "application")
        super().__init__(*args, **kwargs)
        self.fields["port_of_entry"].choices = [
            ("", "Choose a port"),
            *case.pathway.port_choices(),
        ]


# --- Documents --------------------------------------------------------------------------


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("reject", "Reject")])
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Reason (required to reject)"),
        widget=forms.TextInput(attrs={"placeholder": "e.g. illegible, wrong patient"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reason = (data.get("reason") or "").strip()
        if data.get("decision") == "reject" and not reason:
            self.add_error("reason", "Say why the document is rejected: the uploader reads it.")
        if data.get("decision") == "accept" and reason:
            # Enter in the reason field presses the first button, Accept: a typed
            # reason means the coordinator was rejecting.
            self.add_error(
                "reason", "A reason is for rejecting: press Reject, or clear it to accept."
            )
        return data

    @property
    def accept(self) -> bool:
        return self.cleaned_data["decision"] == "accept"


class DocumentUploadForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (kind.value, kind.label)
            for kind in DocumentKind
            if kind
            not in (
                DocumentKind.CASE_RECORD,
                DocumentKind.TEMPERATURE_LOG,
                DocumentKind.ADVERSE_EVENT_REPORT,
            )
        ],
        label=_("Document"),
    )
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))


class TemperatureLogForm(forms.Form):
    file = forms.FileField(
        label=_("Data-logger file (CSV: timestamp, temperature in °C)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class AcknowledgementForm(forms.Form):
    """The manufacturer confirmed receipt of a side-effect report."""

    acknowledged_on = forms.DateField(
        label=_("Receipt confirmed on"), widget=DateInput(), help_text=_("The date on their reply.")
    )
    manufacturer_reference = forms.CharField(
        required=False,
        max_length=100,
        label=_("Their case number (if given)"),
    )


class ConfirmForm(forms.Form):
    """A button that only posts (assign to me, re-run, resupply): CSRF and nothing else."""
