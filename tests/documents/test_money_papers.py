"""The money papers as a reader sees them (text extracted with pypdf): the proforma
invoice, the tax invoice, the credit note and the purchase order's prices; and who
may read which (supplier cost prices never reach a patient or a physician)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from billing import services as billing
from billing.handlers import invoice_on_delivery
from billing.models import PayerKind
from documents.access import documents_visible_to
from documents.generation.jobs import render_job_run
from documents.generation.papers import render_document_pdf
from documents.generation.requests import render_on_entry
from documents.models import DocumentKind
from orders.models import CaseEvent, ImportCase, Importer
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.documents.test_rendering import pdf_text

K = DocumentKind
S = CaseStatus

# The supplier's price per pack, the goods at cost, freight and insurance (see the
# worked example in tests/billing/test_calculation.py): never on a payer's paper.
COST_PRICES = ("7,650", "7650", "22,950", "20,25,337.50", "57,362.50", "10,126.69", "650.00")


def no_cost_prices(text: str) -> None:
    for figure in COST_PRICES:
        assert figure not in text, figure


@pytest.fixture
def quoted(case_in, coordinator):
    case = case_in(S.SUPPLIER_ORDERING)
    billing.payer_set(case=case, actor=coordinator, **demo.payer_data(case))
    return billing.quotation_issue(case=case, actor=coordinator)


def test_the_proforma_invoice_shows_the_payers_lines_the_rates_and_the_total(quoted):
    text = pdf_text(render_document_pdf(quoted.case, K.PROFORMA_INVOICE)[0])

    assert f"Q-{quoted.case.reference}-v1" in text
    assert "Proforma invoice" in text
    assert "Priya Menon" in text
    assert "Medicine delivered to India (cost, insurance and freight)" in text
    assert "30049099" in text
    assert "Assessable value (cost, insurance and freight) ₹20,92,826.69" in text
    assert "Basic customs duty (estimate)" in text and "₹2,09,283.00" in text
    assert "IGST on import (estimate)" in text and "₹1,16,152.00" in text
    assert "CGST on the service fee" in text and "₹2,250.00" in text
    assert "Total payable ₹24,68,689.69" in text
    assert "Rupees twenty-four lakh sixty-eight thousand six hundred eighty-nine" in text
    # Every conversion with its rate, date and source.
    assert "USD converted at ₹88.2500 per USD, rate of 1 January 2026" in text
    assert "22 September 2025" in text
    assert f"GSTIN: {Importer.current().gstin}" in text
    no_cost_prices(text)


def test_an_exemption_on_the_proforma_names_its_certificate(quoted, coordinator):
    case = quoted.case
    billing.payer_set(
        case=case,
        actor=coordinator,
        **demo.payer_data(case, kind=PayerKind.MANUFACTURER_FREE, name="Aurinia Pharma"),
    )
    billing.quotation_issue(case=case, actor=coordinator, exemption="free_of_cost")

    text = pdf_text(render_document_pdf(case, K.PROFORMA_INVOICE)[0])

    assert "Exemption claimed: Life-saving drug supplied free of cost" in text
    assert "607A" in text and "Directorate General of Health Services" in text
    assert "Medicine supplied free of charge by the manufacturer" in text
    assert "Total payable ₹29,500.00" in text


def test_the_tax_invoice_has_its_number_codes_place_of_supply_taxes_and_words(case_in, coordinator):
    case = case_in(S.DELIVERED)
    invoice_on_delivery(CaseEvent.objects.get(case=case, transition="confirm_delivery"))

    text = pdf_text(render_document_pdf(case, K.TAX_INVOICE)[0])

    number = re.search(r"INV/\d\d-\d\d/00001", text)
    assert number, text
    assert "Tax invoice" in text
    assert f"GSTIN: {Importer.current().gstin}" in text
    assert "Place of supply: Karnataka (29)" in text
    assert "30049099" in text and "998599" in text
    assert "Customs duty paid, per the Bill of Entry" in text
    assert "CGST on the service fee 998599 9% ₹2,250.00" in text
    assert "SGST on the service fee 998599 9% ₹2,250.00" in text
    assert "Total ₹24,68,689.69" in text
    assert "Rupees twenty-four lakh sixty-eight thousand" in text
    assert case.bill_of_entry_number in text
    no_cost_prices(text)


def refunded(case_in, coordinator, *, method: str, reference: str) -> ImportCase:
    """A case paid in full, cancelled before the order and refunded all but the service
    fee: its credit note is the advance's (the Hindi paper's tests share it)."""
    case = case_in(S.SUPPLIER_ORDERING)
    demo.settle_money(case, coordinator)
    case = case_transition(
        case=ImportCase.objects.get(pk=case.pk),
        actor=coordinator,
        transition="cancel",
        note="The patient no longer needs the treatment.",
    )
    billing.refund_record(
        case=case,
        actor=coordinator,
        method=method,
        reference=reference,
        amount="2439189.69",
        paid_on=timezone.localdate(),
        reason="Cancelled before the order was placed.",
    )
    return case


def test_the_credit_note_names_the_refund_and_what_it_credits(case_in, coordinator):
    case = refunded(case_in, coordinator, method="neft_rtgs", reference="UTR-RF-1")

    text = pdf_text(render_document_pdf(case, K.CREDIT_NOTE)[0])

    assert re.search(r"CN/\d\d-\d\d/00001", text)
    assert "Advance received" in text
    assert "Refund of advance received ₹24,39,189.69" in text
    assert "Cancelled before the order was placed." in text
    assert "UTR-RF-1" in text
    assert "Rupees twenty-four lakh thirty-nine thousand one hundred eighty-nine" in text


def test_the_purchase_order_carries_prices_terms_importer_and_supplier_address(
    case_in, coordinator
):
    case = demo.settle_and_order(case_in(S.SUPPLIER_ORDERING), coordinator)

    text = pdf_text(render_document_pdf(case, K.PURCHASE_ORDER)[0])

    assert "Unit price (USD)" in text and "Line total" in text
    assert "US$7,650.00" in text and "US$22,950.00" in text
    assert "FCA Free carrier, Mississauga, Ontario (supplier's warehouse)" in text
    assert "100% in advance of shipment, by bank transfer" in text
    importer = Importer.current()
    assert f"GSTIN: {importer.gstin}" in text
    assert f"IEC: {importer.iec}" in text
    assert f"Drug licence: {importer.drug_licence_number}" in text
    assert "Edmonton, Alberta" in text and "npp.orders@aurinia.example" in text
    assert case.permit_number in text
    assert "Keep between 20 and 25" in text


def test_each_money_event_asks_for_its_paper(quoted, coordinator):
    event = CaseEvent.objects.get(case=quoted.case, transition="issue_quotation")

    job = render_on_entry(event)

    assert job.kind == K.PROFORMA_INVOICE
    render_job_run(job.pk)
    job.refresh_from_db()
    assert job.document.kind == K.PROFORMA_INVOICE


# --- who reads which ------------------------------------------------------------------------


def test_patients_and_physicians_never_see_the_purchase_order_with_its_prices(
    case_in, coordinator, patient, physician
):
    case = demo.settle_and_order(case_in(S.SUPPLIER_ORDERING), coordinator)
    for event in CaseEvent.objects.filter(case=case).order_by("pk"):
        job = render_on_entry(event)
        if job is not None:
            render_job_run(job.pk)

    kinds = {
        who: set(documents_visible_to(who).filter(case=case).values_list("kind", flat=True))
        for who in (coordinator, patient.user, physician.user)
    }

    assert {K.PURCHASE_ORDER, K.PROFORMA_INVOICE} <= kinds[coordinator]
    assert K.PURCHASE_ORDER not in kinds[patient.user]
    assert K.PURCHASE_ORDER not in kinds[physician.user]
    # The patient pays: the proforma is theirs to read; the physician reads it too.
    assert K.PROFORMA_INVOICE in kinds[patient.user]
    assert K.PROFORMA_INVOICE in kinds[physician.user]


def test_a_patient_whose_hospital_pays_does_not_get_the_money_papers(quoted, coordinator, patient):
    case = quoted.case
    billing.payer_set(
        case=case,
        actor=coordinator,
        **demo.payer_data(case, kind=PayerKind.HOSPITAL, name="City Hospital"),
    )
    job = render_on_entry(CaseEvent.objects.filter(case=case, transition="issue_quotation").last())
    render_job_run(job.pk)

    visible = documents_visible_to(patient.user).filter(case=case)

    assert not visible.filter(kind=K.PROFORMA_INVOICE).exists()
