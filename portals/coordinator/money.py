"""The money card of the coordinator's case page: who pays, the quotation, payments,
the waiver, refunds and invoices. Forms parse; billing's services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from billing import selectors as billing_selectors
from billing import services as billing
from billing.models import Invoice, Payer, PaymentMethod, Quotation
from billing.services import QUOTABLE_STATES
from npp.accounts.models import Role
from orders.access import get_case_for_user
from orders.display import format_money
from orders.errors import DomainError
from orders.models import DutyExemption, ImportCase
from orders.money import QuotationStatus
from portals.forms import DateInput
from portals.roles import role_required

PREFIXES = ("payer", "quote", "accept", "payment", "waive", "refund")


class PayerForm(forms.ModelForm):
    class Meta:
        model = Payer
        fields = ["kind", "name", "address", "state", "postal_code", "gstin", "email"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class QuoteForm(forms.Form):
    exemption = forms.ChoiceField(
        choices=DutyExemption.choices,
        required=False,
        label="Duty exemption claimed",
        help_text="Only with the certificate the exemption needs.",
    )


class PhoneAcceptanceForm(forms.Form):
    note = forms.CharField(
        label="How the payer accepted",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. accepted by phone by the patient's son, 11:05.",
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label="Amount (₹)", max_digits=14, decimal_places=2)
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100, help_text="UTR, cheque number, UPI reference")
    received_on = forms.DateField(label="Received on", widget=DateInput())


class WaiverForm(forms.Form):
    reason = forms.CharField(
        label="Why the order may go before payment",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label="Amount (₹)", max_digits=14, decimal_places=2)
    method = forms.ChoiceField(choices=PaymentMethod.choices)
    reference = forms.CharField(max_length=100)
    paid_on = forms.DateField(label="Paid on", widget=DateInput())
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def money_context(case: ImportCase, bound: dict[str, Any]) -> dict[str, Any]:
    """What the money card shows; `bound` holds a form posted back with its errors."""
    payer = Payer.objects.filter(case=case).first()
    quotation = billing_selectors.latest_quotation(case)
    account = billing_selectors.case_account(case)
    today = timezone.localdate()
    return {
        "payer": payer,
        "payer_form": bound.get("payer") or PayerForm(instance=payer, prefix="payer"),
        "quotation": quotation,
        "quotation_lines": list(quotation.lines.order_by("position")) if quotation else [],
        "may_quote": case.status in QUOTABLE_STATES,
        "quote_form": bound.get("quote")
        or QuoteForm(
            prefix="quote", initial={"exemption": quotation.exemption if quotation else ""}
        ),
        "accept_form": bound.get("accept") or PhoneAcceptanceForm(prefix="accept"),
        "may_record_acceptance": bool(
            quotation
            and quotation.status == QuotationStatus.ISSUED
            and quotation.valid_until >= today
        ),
        "account": account,
        "payments": list(case.payments.select_related("recorded_by").order_by("received_on", "pk")),
        "payment_form": bound.get("payment")
        or PaymentForm(
            prefix="payment",
            initial={"received_on": today, "amount": account.balance_due or None},
        ),
        "waive_form": bound.get("waive") or WaiverForm(prefix="waive"),
        "may_waive": bool(account.quotation and not account.waived and account.balance_due > 0),
        "refund_form": bound.get("refund")
        or RefundForm(
            prefix="refund", initial={"paid_on": today, "amount": account.refundable or None}
        ),
        "invoices": list(Invoice.objects.filter(case=case).order_by("issued_at", "pk")),
        "duty_difference": (
            format_money(case.duty_amount - account.quotation.duty_total)
            if account.quotation and case.duty_amount is not None
            else ""
        ),
    }


def _back(case: ImportCase):
    from portals.coordinator.views import _case_url

    return redirect(_case_url(case, "money"))


def _again(request: HttpRequest, case: ImportCase, name: str, form) -> HttpResponse:
    from portals.coordinator.views import _case_page

    return _case_page(request, case, bound={name: form}, status=400)


# As the workbench's own views: other roles get 403.
_coordinator_required = role_required(
    Role.COORDINATOR, refusal=PermissionDenied, message="The workbench is for coordinators."
)


def _act(request, case, name, form, action, success: str) -> HttpResponse:
    """Validate `form`, run `action(data)`; the page again with the refusal on the form."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except (DomainError, PermissionDenied) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return _back(case)
    return _again(request, case, name, form)


@require_POST
@_coordinator_required
def payer_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = PayerForm(request.POST, prefix="payer", instance=Payer.objects.filter(case=case).first())
    return _act(
        request,
        case,
        "payer",
        form,
        lambda data: billing.payer_set(case=case, actor=request.user, **data),
        "Payer saved.",
    )


@require_POST
@_coordinator_required
def quote_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = QuoteForm(request.POST, prefix="quote")
    return _act(
        request,
        case,
        "quote",
        form,
        lambda data: billing.quotation_issue(
            case=case, actor=request.user, exemption=data["exemption"]
        ),
        "Quotation issued with today's prices and rates.",
    )


@require_POST
@_coordinator_required
def accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    quotation = get_object_or_404(Quotation, pk=pk)
    case = get_case_for_user(request.user, pk=quotation.case_id)
    form = PhoneAcceptanceForm(request.POST, prefix="accept")
    return _act(
        request,
        case,
        "accept",
        form,
        lambda data: billing.quotation_accept(
            quotation=quotation, actor=request.user, note=data["note"]
        ),
        f"Quotation v{quotation.version} recorded as accepted.",
    )


@require_POST
@_coordinator_required
def payment_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = PaymentForm(request.POST, prefix="payment")
    return _act(
        request,
        case,
        "payment",
        form,
        lambda data: billing.payment_record(case=case, actor=request.user, **data),
        "Payment recorded.",
    )


@require_POST
@_coordinator_required
def waive_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = WaiverForm(request.POST, prefix="waive")
    return _act(
        request,
        case,
        "waive",
        form,
        lambda data: billing.payment_waive(case=case, actor=request.user, reason=data["reason"]),
        "Payment waived: the order may go to the supplier.",
    )


@require_POST
@_coordinator_required
def refund_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for_user(request.user, pk=pk)
    form = RefundForm(request.POST, prefix="refund")
    return _act(
        request,
        case,
        "refund",
        form,
        lambda data: billing.refund_record(case=case, actor=request.user, **data),
        "Refund recorded; its credit note is being prepared.",
    )
