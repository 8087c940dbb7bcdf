"""Periodic work: the sweep that issues the tax invoice of a delivered case whose
delivery handler never ran (the process died between the commit and the handler)."""

from __future__ import annotations

from celery import shared_task

from billing.models import InvoiceKind
from billing.services import invoice_issue
from orders.models import ImportCase
from orders.money import QuotationStatus
from orders.states import CaseStatus


def cases_missing_invoice() -> list[ImportCase]:
    return list(
        ImportCase.objects.filter(
            status__in=[CaseStatus.DELIVERED, CaseStatus.CLOSED],
            quotations__status=QuotationStatus.ACCEPTED,
        ).exclude(invoices__kind=InvoiceKind.TAX_INVOICE)
    )


@shared_task(acks_late=True)
def invoice_sweep() -> int:
    from orders.services import system_user

    actor = system_user()
    issued = 0
    for case in cases_missing_invoice():
        if invoice_issue(case=case, actor=actor) is not None:
            issued += 1
    return issued
