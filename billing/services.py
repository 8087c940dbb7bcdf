"""Writes on a case's money: the payer, quotations, acceptance, payments, waivers,
refunds, the tax invoice and credit notes.

Each owns its transaction, locks the case row (so two coordinators recording at once
are serialised and every balance is read after the other's write), checks who acts,
and appends a `CaseEvent` (from and to the current state) so the case's history and
outbox hold it. Event data carries what the payer may read: never a cost price.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import calculation as calc
from billing.gst import place_of_supply
from billing.models import (
    SERIES_PREFIX,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceSequence,
    Payer,
    PayerKind,
    Payment,
    PaymentMethod,
    Quotation,
    QuotationLine,
)
from billing.rates import basis_for
from billing.selectors import case_account, service_party
from npp.accounts.models import User
from orders import permissions as perm
from orders.display import format_money
from orders.errors import DomainError, GuardFailed, action_words
from orders.models import DutyExemption, ImportCase
from orders.money import QuotationStatus, to_paise
from orders.services import _append_event
from orders.states import BEFORE_DISPATCH, CaseStatus

S = CaseStatus

# Events this module appends (CaseEvent.transition), for labels and notifications.
SET_PAYER = "set_payer"
ISSUE_QUOTATION = "issue_quotation"
ACCEPT_QUOTATION = "accept_quotation"
RECORD_PAYMENT = "record_payment"
WAIVE_PAYMENT = "waive_payment"
RECORD_REFUND = "record_refund"
ISSUE_INVOICE = "issue_invoice"
ISSUE_CREDIT_NOTE = "issue_credit_note"
# What a refusal of each of them names (GuardFailed's action): labels declared here
# only, in English and lower case, marked for the catalogue; the refusal translates
# its label in the language of whoever acts.
ACTION_LABELS = {
    SET_PAYER: gettext_noop("name the payer"),
    ISSUE_QUOTATION: gettext_noop("issue a quotation"),
    ACCEPT_QUOTATION: gettext_noop("record the acceptance"),
    RECORD_PAYMENT: gettext_noop("record the payment"),
    WAIVE_PAYMENT: gettext_noop("waive the payment"),
    RECORD_REFUND: gettext_noop("record the refund"),
}

QUOTABLE_STATES = BEFORE_DISPATCH
STOPPED_STATES = (S.CANCELLED, S.REJECTED)
INVOICED_STATES = (S.DELIVERED, S.CLOSED)


def _lock(case: ImportCase) -> ImportCase:
    return (
        ImportCase.objects.select_for_update(of=("self",))
        .select_related("pathway", "product", "patient", "physician")
        .get(pk=case.pk)
    )


def _coordinator_only(actor: User, action: str) -> None:
    if not perm.is_coordinator(None, actor):
        raise PermissionDenied(
            _("Only a coordinator may %(action)s.")
            % {"action": action_words(ACTION_LABELS[action])}
        )


def _event(case: ImportCase, actor: User, name: str, data: dict[str, Any], note: str = "") -> None:
    _append_event(
        case=case,
        actor=actor,
        transition=name,
        from_state=case.status,
        to_state=case.status,
        note=note,
        data=data,
    )


def financial_year(day: dt.date) -> str:
    """The Indian financial year (April to March) of `day`: 2027-03-31 -> '2026-27'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{str(start + 1)[2:]}"


# --- The payer ---------------------------------------------------------------------------


PAYER_FIELDS = ("kind", "name", "address", "state", "postal_code", "gstin", "email")


@transaction.atomic(durable=True)
def payer_set(*, case: ImportCase, actor: User, **fields: Any) -> Payer:
    """Name who pays for `case` and how they are billed."""
    _coordinator_only(actor, SET_PAYER)
    locked = _lock(case)
    unknown = set(fields) - set(PAYER_FIELDS)
    if unknown:
        raise DomainError(f"Unknown payer fields: {', '.join(sorted(unknown))}.")
    payer = Payer.objects.filter(case=locked).first() or Payer(case=locked)
    for name, value in fields.items():
        setattr(payer, name, (value or "").strip() if isinstance(value, str) else value)
    payer.updated_by = actor
    try:
        payer.full_clean(exclude=["case", "updated_by"])
    except ValidationError as error:
        raise DomainError(" ".join(m for ms in error.message_dict.values() for m in ms)) from None
    payer.save()
    _event(
        locked,
        actor,
        SET_PAYER,
        {"payer": payer.name, "payer_kind": payer.get_kind_display(), "gstin": payer.gstin},
    )
    return payer


# --- Quotations --------------------------------------------------------------------------


def _inputs(case: ImportCase, basis, *, exemption: str, payer: Payer) -> calc.QuoteInputs:
    return calc.QuoteInputs(
        packs=case.quantity_packs or 0,
        unit_price=basis.price.unit_price,
        currency=basis.price.currency,
        exchange_rate=basis.rupees_per_unit,
        freight=basis.freight,
        insurance=basis.insurance,
        duty=basis.duty_rates(),
        exemption=basis.exemption_rule(),
        service_fee=basis.fee.amount,
        gst_percent=basis.gst.gst_percent,
        intra_state=payer.state == service_party()["state"],
        goods_charged=payer.kind != PayerKind.MANUFACTURER_FREE,
    )


def _figures(quotation: Quotation) -> tuple:
    lines = tuple(
        (line.code, line.amount, line.audience, line.in_total, line.foreign)
        for line in quotation.lines.order_by("position")
    )
    return (quotation.total, quotation.exemption, quotation.basis, quotation.payer, lines)


@transaction.atomic(durable=True)
def quotation_issue(
    *,
    case: ImportCase,
    actor: User,
    exemption: str = "",
    on: dt.date | None = None,
) -> Quotation:
    """Quote `case` from the prices and rates in force today. When nothing changed
    since the latest issued version, that version is returned; otherwise a new version
    is issued and the older one that was never accepted is superseded. An accepted
    version is never touched: it stays accepted until a newer one is accepted."""
    _coordinator_only(actor, ISSUE_QUOTATION)
    locked = _lock(case)
    if locked.status not in QUOTABLE_STATES:
        raise DomainError(
            f"{locked.reference} is {locked.get_status_display().lower()}: it can no longer "
            "be quoted."
        )
    if exemption and exemption not in DutyExemption.values:
        raise DomainError(f"There is no exemption called {exemption!r}.")
    payer = Payer.objects.filter(case=locked).first()
    if payer is None:
        raise GuardFailed(ACTION_LABELS[ISSUE_QUOTATION], ["who pays (the payer)"])
    if exemption == DutyExemption.FREE_OF_COST and payer.kind != PayerKind.MANUFACTURER_FREE:
        raise GuardFailed(
            ACTION_LABELS[ISSUE_QUOTATION],
            ["a payer 'free of charge from the manufacturer' for the free-of-cost exemption"],
        )
    on = on or timezone.localdate()
    basis = basis_for(locked, on=on, exemption=exemption)
    try:
        result = calc.quote(
            _inputs(locked, basis, exemption=exemption, payer=payer),
            hsn=basis.tariff_hsn,
            sac=basis.fee.sac_code,
        )
    except calc.CalculationError as error:
        raise GuardFailed(ACTION_LABELS[ISSUE_QUOTATION], error.problems) from None
    record = basis.as_record()
    latest = locked.quotations.order_by("-version").first()
    candidate = Quotation(
        case=locked,
        version=(latest.version + 1) if latest else 1,
        issued_by=actor,
        quoted_on=on,
        valid_until=on + dt.timedelta(days=settings.NPP_QUOTATION_VALID_DAYS),
        basis=record,
        payer=payer.snapshot(),
        currency=basis.price.currency,
        packs=locked.quantity_packs,
        unit_price=basis.price.unit_price,
        exchange_rate=basis.rupees_per_unit,
        exchange_rate_date=basis.exchange_rate.rate_date if basis.exchange_rate else on,
        exchange_rate_source=record["exchange_rate"]["source"],
        exemption=exemption,
        assessable_value=result.assessable_value,
        basic_duty=result.basic_duty,
        surcharge=result.surcharge,
        igst=result.igst,
        goods_charged=result.goods_charged,
        service_fee=result.service_fee,
        service_tax=result.service_tax,
        total=result.total,
    )
    issued = locked.quotations.filter(status=QuotationStatus.ISSUED).order_by("-version").first()
    new_lines = tuple(
        (line.code, line.amount, line.audience, line.in_total, line.foreign)
        for line in result.lines
    )
    if issued is not None and _figures(issued) == (
        candidate.total,
        candidate.exemption,
        candidate.basis,
        candidate.payer,
        new_lines,
    ):
        return issued  # nothing changed: the version the payer has stays the one to accept
    locked.quotations.filter(status=QuotationStatus.ISSUED).update(
        status=QuotationStatus.SUPERSEDED
    )
    candidate.save()
    for position, line in enumerate(result.lines, start=1):
        QuotationLine.objects.create(
            quotation=candidate,
            position=position,
            code=line.code,
            label=line.label,
            amount=line.amount,
            audience=line.audience,
            in_total=line.in_total,
            rate=line.rate,
            foreign=line.foreign,
            currency=line.currency,
            hsn_sac=line.code_hsn_sac,
        )
    _event(
        locked,
        actor,
        ISSUE_QUOTATION,
        {
            "version": candidate.version,
            "total": str(candidate.total),
            "valid_until": candidate.valid_until.isoformat(),
            "exemption": candidate.get_exemption_display() if exemption else "",
        },
    )
    return candidate


def may_accept(quotation: Quotation, user: User) -> bool:
    """The payer's side accepts in the portal: the patient for themself or their
    family, the physician for the hospital. A coordinator records any other
    acceptance (given by phone or email) with a note."""
    case = quotation.case
    payer = getattr(case, "payer", None)
    if perm.is_coordinator(case, user):
        return True
    if payer is None:
        return False
    if payer.patient_side:
        return perm.is_case_patient(case, user)
    if payer.kind == PayerKind.HOSPITAL:
        return perm.is_case_physician(case, user)
    return False


@transaction.atomic(durable=True)
def quotation_accept(*, quotation: Quotation, actor: User, note: str = "") -> Quotation:
    locked_case = _lock(quotation.case)
    current = Quotation.objects.select_for_update().get(pk=quotation.pk)
    current.case = locked_case
    if not may_accept(current, actor):
        raise PermissionDenied(_("Only the payer (or a coordinator for them) accepts a quotation."))
    note = (note or "").strip()
    if perm.is_coordinator(locked_case, actor) and not note:
        raise GuardFailed(ACTION_LABELS[ACCEPT_QUOTATION], ["how the payer accepted (a note)"])
    if current.status != QuotationStatus.ISSUED:
        raise DomainError(
            _(
                "Version %(version)s is %(status)s: only the latest issued quotation can be "
                "accepted."
            )
            % {"version": current.version, "status": _(current.get_status_display()).lower()}
        )
    today = timezone.localdate()
    if current.valid_until < today:
        raise DomainError(
            _("Quotation v%(version)s expired on %(date)s: ask the coordinator for a new one.")
            % {"version": current.version, "date": date_format(current.valid_until)}
        )
    if locked_case.status not in QUOTABLE_STATES:
        raise DomainError(
            _("%(reference)s can no longer be quoted.") % {"reference": locked_case.reference}
        )
    locked_case.quotations.filter(status=QuotationStatus.ACCEPTED).update(
        status=QuotationStatus.SUPERSEDED
    )
    current.status = QuotationStatus.ACCEPTED
    current.accepted_at = timezone.now()
    current.accepted_by = actor
    current.acceptance_note = note
    current.payment_due_on = today + dt.timedelta(days=settings.NPP_PAYMENT_DUE_DAYS)
    current.save()
    _event(
        locked_case,
        actor,
        ACCEPT_QUOTATION,
        {"version": current.version, "total": str(current.total)},
        note=note,
    )
    return current


# --- Payments, waivers and refunds ----------------------------------------------------


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DomainError(f"{value!r} is not an amount.") from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError("An amount above zero is required.")
    if amount != to_paise(amount):
        raise DomainError("An amount has at most two decimals (paise).")
    return amount


def _entry_problems(method: str, reference: str, received_on: dt.date | None) -> list[str]:
    problems = []
    if method not in PaymentMethod.values:
        problems.append("the method (UPI, NEFT/RTGS, card, cheque or cash)")
    if not (reference or "").strip():
        problems.append("the reference (UTR, cheque number, UPI reference or receipt)")
    if received_on is None:
        problems.append("the date")
    elif received_on > timezone.localdate():
        problems.append("a date that is not in the future")
    return problems


@transaction.atomic(durable=True)
def payment_record(
    *,
    case: ImportCase,
    actor: User,
    method: str,
    reference: str,
    amount: Any,
    received_on: dt.date | None,
    note: str = "",
) -> Payment:
    """A payment received from the payer; part-payments add up."""
    _coordinator_only(actor, RECORD_PAYMENT)
    locked = _lock(case)
    value = _amount(amount)
    problems = _entry_problems(method, reference, received_on)
    if not locked.quotations.filter(status=QuotationStatus.ACCEPTED).exists():
        problems.append("an accepted quotation to pay")
    if problems:
        raise GuardFailed(ACTION_LABELS[RECORD_PAYMENT], problems)
    payment = Payment.objects.create(
        case=locked,
        kind=EntryKind.PAYMENT,
        method=method,
        reference=reference.strip(),
        amount=value,
        received_on=received_on,
        note=(note or "").strip(),
        recorded_by=actor,
    )
    account = case_account(locked)
    _event(
        locked,
        actor,
        RECORD_PAYMENT,
        {
            "amount": str(value),
            "method": payment.get_method_display(),
            "reference": payment.reference,
            "received_on": received_on.isoformat(),
            "balance_due": str(account.balance_due),
        },
    )
    return payment


@transaction.atomic(durable=True)
def payment_waive(*, case: ImportCase, actor: User, reason: str) -> Quotation:
    """Let the order go to the supplier before the accepted quotation is paid (a
    hospital that pays on invoice, a charity's pledge): recorded with its reason."""
    _coordinator_only(actor, WAIVE_PAYMENT)
    locked = _lock(case)
    reason = (reason or "").strip()
    accepted = locked.quotations.select_for_update().filter(status=QuotationStatus.ACCEPTED).first()
    problems = []
    if accepted is None:
        problems.append("an accepted quotation")
    if not reason:
        problems.append("the reason for waiving payment before ordering")
    if problems:
        raise GuardFailed(ACTION_LABELS[WAIVE_PAYMENT], problems)
    if accepted.waived:
        raise DomainError(f"Payment of quotation v{accepted.version} is already waived.")
    accepted.waived_at = timezone.now()
    accepted.waived_by = actor
    accepted.waiver_reason = reason
    accepted.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
    _event(
        locked,
        actor,
        WAIVE_PAYMENT,
        {"version": accepted.version, "balance_due": str(accepted.balance_due)},
        note=reason,
    )
    return accepted


@transaction.atomic(durable=True)
def refund_record(
    *,
    case: ImportCase,
    actor: User,
    method: str,
    reference: str,
    amount: Any,
    paid_on: dt.date | None,
    reason: str,
) -> Invoice:
    """Money paid back to the payer, no more than is refundable (an excess after the
    final invoice, or what a cancelled or rejected case need not keep), with its credit
    note numbered in its own series."""
    _coordinator_only(actor, RECORD_REFUND)
    locked = _lock(case)
    value = _amount(amount)
    reason = (reason or "").strip()
    problems = _entry_problems(method, reference, paid_on)
    if not reason:
        problems.append("the reason for the refund")
    refundable = case_account(locked).refundable
    if value > refundable:
        problems.append(f"an amount no more than the refundable {format_money(refundable)}")
    if problems:
        raise GuardFailed(ACTION_LABELS[RECORD_REFUND], problems)
    refund = Payment.objects.create(
        case=locked,
        kind=EntryKind.REFUND,
        method=method,
        reference=reference.strip(),
        amount=value,
        received_on=paid_on,
        note=reason,
        recorded_by=actor,
    )
    _event(
        locked,
        actor,
        RECORD_REFUND,
        {
            "amount": str(value),
            "method": refund.get_method_display(),
            "reference": reference,
            "paid_on": paid_on.isoformat(),
        },
        note=reason,
    )
    return _credit_note(locked, actor, refund=refund, reason=reason)


# --- Invoices and credit notes ----------------------------------------------------------


def next_number(kind: str, issued_on: dt.date) -> tuple[str, int, str]:
    """(financial year, sequence, number) for the next document of `kind`: the series
    row is locked until the caller's transaction ends, so a rolled-back invoice gives
    its number back and two at once never share one. 'INV/26-27/00001' stays within
    the 16 characters GST allows (CGST Rules 2017, rule 46(b))."""
    year = financial_year(issued_on)
    InvoiceSequence.objects.bulk_create(
        [InvoiceSequence(series=kind, financial_year=year)], ignore_conflicts=True
    )
    sequence = InvoiceSequence.objects.select_for_update().get(series=kind, financial_year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    short_year = f"{year[2:4]}-{year[5:]}"
    return (
        year,
        sequence.last_number,
        f"{SERIES_PREFIX[kind]}/{short_year}/{sequence.last_number:05d}",
    )


def _invoice_lines(lines: list[calc.Line]) -> list[dict[str, Any]]:
    return [
        {
            "code": line.code,
            "label": line.label,
            "hsn_sac": line.code_hsn_sac,
            "rate": str(line.rate) if line.rate is not None else "",
            "amount": str(line.amount),
            "taxable": line.code == "service_fee",
            "tax": line.code in ("cgst", "sgst", "igst_service"),
        }
        for line in lines
    ]


def _as_calc_lines(quotation: Quotation) -> list[calc.Line]:
    return [
        calc.Line(
            code=line.code,
            label=line.label,
            amount=line.amount,
            audience=line.audience,
            in_total=line.in_total,
            rate=line.rate,
            code_hsn_sac=line.hsn_sac,
        )
        for line in quotation.lines.order_by("position")
    ]


def invoice_issue(*, case: ImportCase, actor: User, on: dt.date | None = None) -> Invoice | None:
    """The tax invoice of a delivered case, once: the accepted quotation with the duty
    customs actually assessed (a shortfall or excess against the estimate flows into
    its total). None for a case nobody was quoted. Idempotent."""
    with transaction.atomic():
        locked = _lock(case)
        existing = Invoice.objects.filter(case=locked, kind=InvoiceKind.TAX_INVOICE).first()
        if existing is not None:
            return existing
        if locked.status not in INVOICED_STATES:
            raise DomainError(f"{locked.reference} is not delivered: no tax invoice yet.")
        quotation = locked.quotations.filter(status=QuotationStatus.ACCEPTED).first()
        if quotation is None:
            return None
        actual = _actual_duty(locked)
        lines, difference = calc.final_lines(
            _as_calc_lines(quotation), actual_duty=actual, estimate=quotation.duty_total
        )
        issued_on = on or timezone.localdate()
        year, sequence, number = next_number(InvoiceKind.TAX_INVOICE, issued_on)
        taxable = sum((line.amount for line in lines if line.code == "service_fee"), Decimal(0))
        tax = sum(
            (line.amount for line in lines if line.code in ("cgst", "sgst", "igst_service")),
            Decimal(0),
        )
        invoice = Invoice.objects.create(
            kind=InvoiceKind.TAX_INVOICE,
            case=locked,
            quotation=quotation,
            number=number,
            financial_year=year,
            sequence=sequence,
            issued_on=issued_on,
            issued_by=actor,
            supplier=service_party(),
            recipient=quotation.payer,
            place_of_supply=place_of_supply(quotation.payer.get("state", "")),
            lines=_invoice_lines(lines),
            taxable_value=to_paise(taxable),
            tax=to_paise(tax),
            total=to_paise(sum((line.amount for line in lines), Decimal(0))),
            duty_estimate=quotation.duty_total,
            duty_actual=actual,
        )
        _event(
            locked,
            actor,
            ISSUE_INVOICE,
            {
                "number": number,
                "total": str(invoice.total),
                "duty_difference": str(difference) if actual is not None else "",
            },
        )
        return invoice


def _actual_duty(case: ImportCase) -> Decimal | None:
    """The duty on the Bill of Entry: none paid under an exemption; None before customs."""
    if case.duty_amount is not None:
        return case.duty_amount
    if case.duty_exemption and case.bill_of_entry_number:
        return Decimal("0.00")
    return None


def _credit_note(case: ImportCase, actor: User, *, refund: Payment, reason: str) -> Invoice:
    tax_invoice = Invoice.objects.filter(case=case, kind=InvoiceKind.TAX_INVOICE).first()
    quotation = (
        case.quotations.filter(status=QuotationStatus.ACCEPTED).first()
        or case.quotations.order_by("-version").first()
    )
    issued_on = timezone.localdate()
    year, sequence, number = next_number(InvoiceKind.CREDIT_NOTE, issued_on)
    label = (
        f"Refund against tax invoice {tax_invoice.number}"
        if tax_invoice
        else "Refund of advance received"
    )
    note = Invoice.objects.create(
        kind=InvoiceKind.CREDIT_NOTE,
        case=case,
        quotation=quotation,
        number=number,
        financial_year=year,
        sequence=sequence,
        issued_on=issued_on,
        issued_by=actor,
        supplier=service_party(),
        recipient=quotation.payer if quotation else {},
        place_of_supply=place_of_supply((quotation.payer if quotation else {}).get("state", "")),
        lines=[
            {
                "code": "refund",
                "label": label,
                "hsn_sac": "",
                "rate": "",
                "amount": str(refund.amount),
                "taxable": False,
                "tax": False,
            }
        ],
        taxable_value=Decimal("0.00"),
        tax=Decimal("0.00"),
        total=refund.amount,
        refers_to=tax_invoice,
        refund=refund,
        reason=reason,
    )
    _event(case, actor, ISSUE_CREDIT_NOTE, {"number": number, "total": str(note.total)})
    return note
