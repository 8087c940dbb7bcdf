"""Reads of a case's money: its account (charged, paid, due, refundable), the service
as a supplier on invoices, and the workbench's amounts due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from billing import calculation as calc
from billing.gst import STATE_CODES
from billing.models import EntryKind, Invoice, InvoiceKind, Payment, Quotation
from orders.models import ImportCase, Importer
from orders.money import QuotationStatus, to_paise
from orders.states import CaseStatus

S = CaseStatus
ZERO = Decimal("0.00")


def service_party() -> dict[str, str]:
    """The service as the supplier of the invoiced services, as it is today: the active
    importer record (orders.Importer), else the NPP_SERVICE_* settings."""
    record = Importer.current()
    if record is not None:
        state = record.state or settings.NPP_SERVICE_STATE
        return {
            "name": record.name,
            "address": ", ".join(record.address_lines()),
            "state": state,
            "state_code": STATE_CODES.get(state, ""),
            "gstin": record.gstin or settings.NPP_SERVICE_GSTIN,
            "drug_licence_number": record.drug_licence_number,
            "iec": record.iec,
            "email": record.email or settings.NPP_SERVICE_EMAIL,
            "phone": record.phone or settings.NPP_SERVICE_PHONE,
        }
    state = settings.NPP_SERVICE_STATE
    return {
        "name": settings.NPP_SERVICE_NAME,
        "address": settings.NPP_SERVICE_ADDRESS,
        "state": state,
        "state_code": STATE_CODES.get(state, ""),
        "gstin": settings.NPP_SERVICE_GSTIN,
        "drug_licence_number": "",
        "iec": "",
        "email": settings.NPP_SERVICE_EMAIL,
        "phone": settings.NPP_SERVICE_PHONE,
    }


@dataclass(frozen=True)
class CaseAccount:
    quotation: Quotation | None
    invoice: Invoice | None
    charged: Decimal
    paid: Decimal
    refunded: Decimal
    balance_due: Decimal
    credit: Decimal
    retained: Decimal
    refundable: Decimal
    overdue: bool
    waived: bool

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded


def _entries(case: ImportCase) -> list[calc.Entry]:
    return [
        calc.Entry(kind=kind, amount=amount)
        for kind, amount in Payment.objects.filter(case=case).values_list("kind", "amount")
    ]


def case_account(case: ImportCase, *, today: dt.date | None = None) -> CaseAccount:
    """What the payer was charged and paid, what is due and what is refundable.

    Charged: the tax invoice once there is one (actual duty), else the accepted
    quotation (estimated duty), else nothing. On a cancelled or rejected case only what
    the service keeps is charged (calculation.refundable_after_stop)."""
    today = today or timezone.localdate()
    quotation = case.quotations.filter(status=QuotationStatus.ACCEPTED).first()
    invoice = Invoice.objects.filter(case=case, kind=InvoiceKind.TAX_INVOICE).first()
    entries = _entries(case)
    charged = invoice.total if invoice else (quotation.total if quotation else ZERO)
    retained = ZERO
    if case.status in (S.CANCELLED, S.REJECTED):
        paid_so_far = calc.account(ZERO, entries).net_paid
        events = set(case.events.values_list("transition", flat=True))
        retained, _ = calc.refundable_after_stop(
            net_paid=paid_so_far,
            goods_charged=quotation.goods_charged if quotation else ZERO,
            service_charges=(quotation.service_fee + quotation.service_tax) if quotation else ZERO,
            application_filed="file_application" in events,
            ordered_from_supplier="order_from_supplier" in events,
        )
        charged = retained
    account = calc.account(charged, entries)
    overdue = bool(
        quotation
        and account.balance_due > 0
        and not quotation.waived
        and quotation.payment_due_on
        and quotation.payment_due_on < today
        and case.status not in (S.CANCELLED, S.REJECTED)
    )
    return CaseAccount(
        quotation=quotation,
        invoice=invoice,
        charged=account.charged,
        paid=account.paid,
        refunded=account.refunded,
        balance_due=account.balance_due,
        credit=account.credit,
        retained=retained,
        refundable=account.credit,
        overdue=overdue,
        waived=bool(quotation and quotation.waived),
    )


def latest_quotation(case: ImportCase) -> Quotation | None:
    return case.quotations.exclude(status=QuotationStatus.SUPERSEDED).order_by("-version").first()


def payer_lines(quotation: Quotation) -> list[Any]:
    """The lines the payer reads: never the supplier's price, freight or insurance."""
    return list(quotation.lines.payer_lines().order_by("position"))


# --- The workbench ----------------------------------------------------------------------


def amounts_due(case_ids: Iterable[int], *, today: dt.date | None = None) -> dict[int, tuple]:
    """{case id: (amount due, overdue)} for the cases shown, in three queries: the accepted
    quotations, the tax invoices (at most one of each a case), the payments. Unordered:
    the models' default order (by their case's creation) would join the cases' table
    into each query for nothing, and planning that join cost more than the reads."""
    ids = list(case_ids)
    if not ids:
        return {}
    today = today or timezone.localdate()
    charged: dict[int, tuple[Decimal, Any, bool]] = {}
    for case_id, total, due_on, waived in (
        Quotation.objects.filter(case_id__in=ids, status=QuotationStatus.ACCEPTED)
        .values_list("case_id", "total", "payment_due_on", "waived_at")
        .order_by()
    ):
        charged[case_id] = (total, due_on, waived is not None)
    for case_id, total in (
        Invoice.objects.filter(case_id__in=ids, kind=InvoiceKind.TAX_INVOICE)
        .values_list("case_id", "total")
        .order_by()
    ):
        _, due_on, waived = charged.get(case_id, (ZERO, None, False))
        charged[case_id] = (total, due_on, waived)
    paid: dict[int, Decimal] = {}
    for case_id, kind, amount in (
        Payment.objects.filter(case_id__in=ids).values_list("case_id", "kind", "amount").order_by()
    ):
        sign = 1 if kind == EntryKind.PAYMENT else -1
        paid[case_id] = paid.get(case_id, ZERO) + sign * amount
    result = {}
    for case_id, (total, due_on, waived) in charged.items():
        due = max(to_paise(total - paid.get(case_id, ZERO)), ZERO)
        if due > 0:
            result[case_id] = (due, bool(due_on and due_on < today and not waived))
    return result


def payment_filter(which: str, *, today: dt.date | None = None) -> Q:
    """Cases with an amount due ('due') or overdue ('overdue') on an accepted quotation
    (or its invoice): a condition on ImportCase for the queue."""
    today = today or timezone.localdate()
    charged = Quotation.objects.filter(case=OuterRef("pk"), status=QuotationStatus.ACCEPTED)
    if which == "overdue":
        charged = charged.filter(payment_due_on__lt=today, waived_at__isnull=True)
    cases = ImportCase.objects.filter(Exists(charged))
    # The payments are compared in Python for the (few) candidates: the sums of two
    # kinds against a total that is the invoice's once there is one.
    candidates = list(
        cases.exclude(status__in=[S.CANCELLED, S.REJECTED]).values_list("pk", flat=True)
    )
    due = amounts_due(candidates, today=today)
    return Q(pk__in=list(due))
