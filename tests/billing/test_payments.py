"""Payments, the guard on the order to the supplier, waivers, refunds, the tax
invoice at delivery and credit notes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services as billing
from billing.handlers import invoice_on_delivery
from billing.models import FrozenError, Invoice, InvoiceKind, Payment
from billing.selectors import amounts_due, case_account, payment_filter
from billing.tasks import cases_missing_invoice, invoice_sweep
from orders.errors import DomainError, GuardFailed
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD
from tests.orders.helpers import assert_refused, refuse

D = Decimal
S = CaseStatus
TOTAL = D("2468689.69")


def pay(case, coordinator, amount, **overrides):
    values = {
        "method": "neft_rtgs",
        "reference": "UTR0001",
        "received_on": timezone.localdate(),
    }
    values.update(overrides)
    values["amount"] = values.pop("amount", amount)
    return billing.payment_record(case=case, actor=coordinator, **values)


# --- the guard: no order to the supplier before payment or waiver -----------------------


def test_no_order_goes_to_the_supplier_without_an_accepted_quotation(quoted, coordinator):
    error = refuse(quoted.case, coordinator, "order_from_supplier")

    assert_refused(error, "a quotation the payer accepted")


def test_no_order_goes_to_the_supplier_before_the_accepted_quotation_is_paid(accepted, coordinator):
    case = accepted.case
    error = refuse(case, coordinator, "order_from_supplier")
    assert_refused(error, "payment of the accepted quotation (₹24,68,689.69 still due)")

    pay(case, coordinator, "1000000.00")
    error = refuse(case, coordinator, "order_from_supplier")
    assert_refused(error, "₹14,68,689.69 still due")

    pay(case, coordinator, "1468689.69", reference="UTR0002")
    case_transition(case=case, actor=coordinator, transition="order_from_supplier")

    assert CaseEvent.objects.filter(case=case, transition="order_from_supplier").count() == 1
    case.refresh_from_db()
    assert case.status == S.SUPPLIER_ORDERING


def test_a_waiver_with_its_reason_lets_the_order_go_unpaid(accepted, coordinator):
    case = accepted.case
    with pytest.raises(GuardFailed, match="the reason for waiving"):
        billing.payment_waive(case=case, actor=coordinator, reason="  ")

    billing.payment_waive(
        case=case, actor=coordinator, reason="City Hospital pays on invoice (PO 4471)."
    )
    case_transition(case=case, actor=coordinator, transition="order_from_supplier")

    accepted.refresh_from_db()
    assert accepted.waived and accepted.waived_by == coordinator
    event = CaseEvent.objects.get(case=case, transition="waive_payment")
    assert event.note == "City Hospital pays on invoice (PO 4471)."
    assert event.data["balance_due"] == "2468689.69"


def test_the_order_is_sent_before_a_lot_is_dispatched(accepted, coordinator):
    case = accepted.case
    pay(case, coordinator, TOTAL)

    error = refuse(case, coordinator, "dispatch", data=demo.shipment_data(case))

    assert_refused(error, "the order sent to the supplier")


# --- payments -------------------------------------------------------------------------------


def test_part_payments_add_up_whatever_the_order(accepted, coordinator):
    case = accepted.case
    pay(case, coordinator, "500000.00", received_on=timezone.localdate())
    pay(case, coordinator, "100000.00", received_on=timezone.localdate() - dt.timedelta(days=2))

    account = case_account(case)
    assert account.paid == D("600000.00")
    assert account.balance_due == TOTAL - D("600000.00")
    event = CaseEvent.objects.filter(case=case, transition="record_payment").last()
    assert event.data["balance_due"] == "1868689.69"


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"amount": "0"}, "An amount above zero"),
        ({"amount": "-5"}, "An amount above zero"),
        ({"amount": "10.005"}, "at most two decimals"),
        ({"amount": "abc"}, "is not an amount"),
        ({"reference": " "}, "the reference"),
        ({"method": "bitcoin"}, "the method"),
        ({"received_on": dt.date(2099, 1, 1)}, "a date that is not in the future"),
    ],
)
def test_a_bad_payment_is_refused_and_nothing_is_stored(accepted, coordinator, overrides, missing):
    with pytest.raises(DomainError, match=missing):
        pay(accepted.case, coordinator, overrides.pop("amount", "1000.00"), **overrides)

    assert not Payment.objects.exists()


def test_payments_are_never_edited_or_deleted(accepted, coordinator):
    payment = pay(accepted.case, coordinator, "1000.00")

    payment.amount = D("1.00")
    with pytest.raises(FrozenError):
        payment.save()
    with pytest.raises(FrozenError):
        Payment.objects.filter(pk=payment.pk).update(amount=D("1.00"))
    with pytest.raises(FrozenError):
        payment.delete()
    assert Payment.objects.get().amount == D("1000.00")


def test_the_workbench_finds_amounts_due_and_overdue(accepted, coordinator):
    case = accepted.case
    assert amounts_due([case.pk]) == {case.pk: (TOTAL, False)}
    later = timezone.localdate() + dt.timedelta(days=8)
    assert amounts_due([case.pk], today=later) == {case.pk: (TOTAL, True)}
    assert ImportCase.objects.filter(payment_filter("due")).get() == case
    assert not ImportCase.objects.filter(payment_filter("overdue")).exists()
    assert ImportCase.objects.filter(payment_filter("overdue", today=later)).get() == case

    pay(case, coordinator, TOTAL)

    assert amounts_due([case.pk], today=later) == {}
    assert not ImportCase.objects.filter(payment_filter("due")).exists()


# --- refunds after cancellation ---------------------------------------------------------------


def test_a_cancelled_case_refunds_all_but_the_fee_with_a_credit_note(accepted, coordinator):
    case = accepted.case
    pay(case, coordinator, TOTAL)
    case = case_transition(
        case=ImportCase.objects.get(pk=case.pk),
        actor=coordinator,
        transition="cancel",
        note="The patient died before the order was placed.",
    )

    account = case_account(case)
    # The application was filed: the fee and its GST (29,500) are kept.
    assert account.retained == D("29500.00")
    assert account.refundable == TOTAL - D("29500.00")

    with pytest.raises(GuardFailed, match=re.escape("no more than the refundable ₹24,39,189.69")):
        billing.refund_record(
            case=case,
            actor=coordinator,
            method="neft_rtgs",
            reference="R1",
            amount=TOTAL,
            paid_on=timezone.localdate(),
            reason="Cancelled",
        )
    note = billing.refund_record(
        case=case,
        actor=coordinator,
        method="neft_rtgs",
        reference="UTR-REFUND-1",
        amount="2439189.69",
        paid_on=timezone.localdate(),
        reason="Case cancelled.",
    )

    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number == f"CN/{billing.financial_year(timezone.localdate())[2:4]}-" + (
        f"{billing.financial_year(timezone.localdate())[5:]}/00001"
    )
    assert note.total == D("2439189.69")
    assert note.refund.kind == "refund"
    account = case_account(case)
    assert (account.refundable, account.balance_due) == (D("0.00"), D("0.00"))


# --- the tax invoice ------------------------------------------------------------------------


def test_delivery_produces_the_tax_invoice_with_the_actual_duty(case_in, coordinator):
    case = case_in(S.OUT_FOR_DELIVERY)
    quotation = case.quotations.get(status="accepted")
    # Customs assessed 1,000 rupees more than estimated.
    ImportCase.objects.filter(pk=case.pk).update(duty_amount=quotation.duty_total + 1000)
    case = demo.walk_to(ImportCase.objects.get(pk=case.pk), S.DELIVERED, coordinator=coordinator)
    event = CaseEvent.objects.get(case=case, transition="confirm_delivery")

    invoice_on_delivery(event)
    invoice_on_delivery(event)  # delivered twice: still one invoice

    invoice = Invoice.objects.get(case=case)
    year = billing.financial_year(timezone.localdate())
    assert invoice.number == f"INV/{year[2:4]}-{year[5:]}/00001"
    assert invoice.duty_actual - invoice.duty_estimate == D("1000.00")
    assert invoice.total == TOTAL + 1000
    assert invoice.total == sum(D(line["amount"]) for line in invoice.lines)
    assert invoice.supplier["gstin"] and invoice.place_of_supply == "Karnataka (29)"
    assert [line["code"] for line in invoice.lines] == [
        "medicine",
        "customs_duty",
        "service_fee",
        "cgst",
        "sgst",
    ]
    account = case_account(case)
    assert account.balance_due == D("1000.00")  # the shortfall is due
    issued = CaseEvent.objects.get(case=case, transition="issue_invoice")
    assert issued.data["duty_difference"] == "1000.00"


def test_the_sweep_issues_an_invoice_the_handler_never_did(case_in, coordinator):
    case = case_in(S.DELIVERED)
    assert cases_missing_invoice() == [case]

    assert invoice_sweep() == 1
    assert invoice_sweep() == 0
    assert Invoice.objects.filter(case=case, kind=InvoiceKind.TAX_INVOICE).count() == 1


def test_invoice_numbers_run_per_financial_year_without_gaps(case_in, other_case, coordinator):
    first = case_in(S.DELIVERED)
    second = demo.walk_to(
        other_case, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD
    )

    a = billing.invoice_issue(case=first, actor=coordinator, on=dt.date(2027, 3, 31))
    b = billing.invoice_issue(case=second, actor=coordinator, on=dt.date(2027, 4, 1))

    assert (a.financial_year, a.number) == ("2026-27", "INV/26-27/00001")
    assert (b.financial_year, b.number) == ("2027-28", "INV/27-28/00001")


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2026, 4, 1), "2026-27"),
        (dt.date(2027, 3, 31), "2026-27"),
        (dt.date(2026, 3, 31), "2025-26"),
        (dt.date(2099, 12, 31), "2099-00"),
    ],
)
def test_the_financial_year_runs_april_to_march(day, year):
    assert billing.financial_year(day) == year


def test_an_issued_invoice_never_changes(case_in, coordinator):
    invoice = billing.invoice_issue(case=case_in(S.DELIVERED), actor=coordinator)

    invoice.total = D("1.00")
    with pytest.raises(FrozenError):
        invoice.save()
    with pytest.raises(FrozenError):
        Invoice.objects.update(total=D("1.00"))
