"""Money in a real browser: the coordinator names the payer and quotes, the patient
accepts in the tracker, the coordinator records the payment and sends the order,
customs records the actual duty, and delivery produces the tax invoice the patient
downloads. Each page screenshotted and checked with axe-core."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import Invoice, InvoiceKind, Quotation
from documents.models import DocumentKind
from orders.money import QuotationStatus
from orders.states import CaseStatus
from portals import demo
from tests.documents.test_money_papers import COST_PRICES
from tests.portals.conftest import PHONE, assert_accessible, shoot
from tests.portals.test_browser_coordinator import message, office_page
from tests.portals.test_browser_walk import act

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus


def check(page, name: str) -> None:
    shoot(page, name)
    assert_accessible(page)


def test_quote_accept_pay_order_clear_deliver_and_download_the_tax_invoice(
    live_server, browser_page, render_pending, coordinator, patient, case_in
):
    case = case_in(S.SUPPLIER_ORDERING)
    office = office_page(browser_page, coordinator)
    office.goto(f"/work/cases/{case.pk}/#money")

    # The coordinator names the payer (the patient) and issues the quotation.
    office.locator('[name="payer-kind"]').select_option("patient")
    office.locator('[name="payer-name"]').fill("Priya Menon")
    office.locator('[name="payer-address"]').fill("12 MG Road\nBengaluru")
    office.locator('[name="payer-state"]').select_option("Karnataka")
    office.locator('[name="payer-postal_code"]').fill("560001")
    with office.expect_navigation():
        office.get_by_role("button", name="Save the payer").click()
    assert "Payer saved" in message(office)
    with office.expect_navigation():
        office.get_by_role("button", name="Issue the quotation").click()
    assert "Quotation issued" in message(office)
    money = office.locator("#money").inner_text()
    assert "₹24,68,689.69" in money and "Coordinators only" in money
    check(office, "money-coordinator-quoted")

    # The patient reads it in the tracker (no supplier cost on it) and accepts.
    tracker = browser_page(patient.user, viewport=PHONE)
    tracker.goto(f"/my/orders/{case.pk}/")
    card = tracker.locator("#payment").inner_text()
    assert "₹24,68,689.69" in card
    for figure in (*COST_PRICES, "USD"):
        assert figure not in tracker.content(), figure
    check(tracker, "money-patient-quotation")
    with tracker.expect_navigation():
        tracker.get_by_role("button", name="Accept the quotation").click()
    assert "you accepted quotation v1" in message(tracker)
    assert Quotation.objects.get(case=case).status == QuotationStatus.ACCEPTED

    # The order cannot go before payment: the next step says it waits for the amount
    # still due, with no button to press; the coordinator records it, then sends it.
    office.goto(f"/work/cases/{case.pk}/")
    assert "still due" in office.locator("#wait-order_from_supplier").first.inner_text()
    assert office.locator("#act-order_from_supplier").count() == 0
    office.locator("summary", has_text="Record a payment").click()
    office.locator('[name="payment-method"]').select_option("neft_rtgs")
    office.locator('[name="payment-reference"]').fill("UTR-SBIN-220011")
    with office.expect_navigation():
        office.get_by_role("button", name="Record the payment").click()
    assert "Payment recorded" in message(office)
    act(office, "order_from_supplier")
    case.refresh_from_db()
    assert case.events.filter(transition="order_from_supplier").exists()

    # Dispatch (the purchase order's number is already on the form), arrival, customs
    # with the duty actually assessed: 1,200 rupees above the estimate.
    assert office.locator('[name="dispatch-purchase_order_number"]').input_value() == (
        f"PO-{case.reference}"
    )
    shipment = demo.shipment_data(case)
    shipment.pop("purchase_order_number")
    act(office, "dispatch", shipment)
    act(office, "arrive")
    estimate = Quotation.objects.get(case=case).duty_total
    act(office, "clear_customs", demo.customs_data(case, duty_amount=str(estimate + 1200)))
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY, office.inner_text("main")
    assert "difference ₹1,200.00" in office.locator("#money").inner_text()
    check(office, "money-coordinator-customs")

    # The patient confirms the delivery: the tax invoice is issued and rendered.
    tracker.goto(f"/my/orders/{case.pk}/")
    with tracker.expect_navigation():
        tracker.get_by_role("button", name="I have received my medicine").click()
    invoice = Invoice.objects.get(case=case, kind=InvoiceKind.TAX_INVOICE)
    assert invoice.total == Decimal("2468689.69") + 1200
    render_pending(DocumentKind.TAX_INVOICE)

    tracker.goto(f"/my/orders/{case.pk}/")
    assert "₹1,200.00" in tracker.locator("#payment").inner_text()  # the shortfall due
    check(tracker, "money-patient-delivered")
    with tracker.expect_download() as download:
        tracker.get_by_role("link", name="Tax invoice").click()
    pdf = download.value.path().read_bytes()
    text = " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert invoice.number in text
    assert "₹24,69,889.69" in text
    for figure in COST_PRICES:
        assert figure not in text, figure
