"""The case record an inspector reads, by its text (pypdf): events in words with the
one label table, lists as lists, rupees with Indian grouping, the duty breakdown, the
temperature log's summary and each signature's manifestation."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from documents.generation.papers import render_document_pdf
from documents.models import DocumentKind, Signature
from documents.temperature_logs import temperature_log_record
from orders.adverse_events import adverse_event_forward, adverse_event_report
from orders.display import format_date, format_datetime
from orders.models import AdverseEvent
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD
from tests.documents.test_rendering import pdf_text

K = DocumentKind
S = CaseStatus


class Upload(io.BytesIO):
    name = "logger.csv"


def logger_csv(*temperatures: float) -> bytes:
    start = timezone.localtime().replace(tzinfo=None, second=0, microsecond=0)
    lines = ["timestamp,temperature"] + [
        f"{start + dt.timedelta(minutes=30 * i):%Y-%m-%d %H:%M},{value}"
        for i, value in enumerate(temperatures)
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def closed(case_in, coordinator, physician):
    """A case walked to the end, with a logger's record read in transit and a side
    effect reported and forwarded before it closed."""
    case = case_in(S.IN_TRANSIT)
    temperature_log_record(
        case=case, actor=coordinator, upload=Upload(logger_csv(22, 23.5, 26.5, 24, 22.5))
    )
    case = demo.walk_to(case, S.CUSTOMS_CLEARANCE, coordinator=coordinator)
    # Customs assess 2,50,000 rupees (whatever the quotation estimated) and its duty.
    case = case_transition(
        case=case,
        actor=coordinator,
        transition="clear_customs",
        data=demo.customs_data(case, assessable_value="250000.00", duty_amount="41375.00"),
    )
    case = demo.walk_to(case, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD)
    report = adverse_event_report(
        case=case,
        reporter=physician.user,
        onset_date=timezone.localdate() - dt.timedelta(days=1),
        description="Fine tremor of both hands since the second week.",
        seriousness=AdverseEvent.Seriousness.NON_SERIOUS,
    )
    adverse_event_forward(
        adverse_event=report, actor=coordinator, forwarded_to="pv@aurinia.example"
    )
    return case_transition(case=case, actor=coordinator, transition="close", note="Complete.")


@pytest.fixture
def record(closed) -> str:
    return pdf_text(render_document_pdf(closed, K.CASE_RECORD)[0])


def test_event_details_read_as_labelled_facts_not_field_names(record):
    for fact in (
        "Diastolic BP: 82 mmHg",
        "Systolic BP: 128 mmHg",
        "eGFR: 72 mL/min/1.73 m2",
        "Prescriber's registration confirmed: Yes",
        "Regulator's reference: SUGAM/12A/",
        "Permitted quantity: 3 packs",
        "Supplier: Aurinia Pharmaceuticals Inc.",
        "Received by: Priya Menon",
        "Sent to: pv@aurinia.example",
    ):
        assert fact in record, fact
    for raw in ("measure", "diastolic bp", "_", "['", "{'"):
        assert raw not in record.replace("SUGAM/12A", ""), raw


def bullet_items(pdf: bytes) -> list[str]:
    """The items of every bulleted list, read with the page's layout (the plain text
    extraction drops the bullets). The layout puts a row's columns on one text line, so an
    item runs from its bullet to the next bullet or the next wide gap."""
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text(extraction_mode="layout") for page in reader.pages)
    return [
        re.split(r"\s{2,}", part.strip())[0]
        for line in text.splitlines()
        for part in line.split("• ")[1:]
    ]


def test_lists_are_lists(closed):
    pdf, _ = render_document_pdf(closed, K.CASE_RECORD)

    items = bullet_items(pdf)

    assert items.count("mycophenolate mofetil") == 2  # the verification and its event
    assert items.count("prednisolone") == 2
    assert "Diastolic BP: 82 mmHg" in items
    assert "mycophenolate mofetil, prednisolone" not in pdf_text(pdf)


def test_amounts_are_in_rupees_with_indian_grouping_and_the_duty_is_broken_down(closed, record):
    # The rates in force on the clearance date (medicines: IGST 5%), each head rounded
    # to the rupee as the quotation's (tests/documents/test_case_record_duty.py).
    for fact in (
        "Assessable value (CIF) ₹2,50,000.00",
        "Basic customs duty 10% ₹2,50,000.00 ₹25,000.00",
        "Social welfare surcharge 10% ₹25,000.00 ₹2,500.00",
        "IGST on import 5% ₹2,77,500.00 ₹13,875.00",
        f"Duty at the rates in force on {format_date(closed.clearance_date)} ₹41,375.00",
        "Duty paid, as recorded at clearance ₹41,375.00",
        "Assessable value: ₹2,50,000.00",  # the clearance event
    ):
        assert fact in record, fact
    assert "250000" not in record


def test_the_temperature_log_is_summed_up(record):
    for fact in (
        "Temperature during transport",
        "Readings 5",
        "Lowest and highest 22.0 °C and 26.5 °C",
        "Outside the storage range (20.0 to 25.0 °C) 30 min",
        "Outside the excursion range (15.0 to 30.0 °C) 0 min",
        "Outside the storage range for a while, within the allowed excursion.",
    ):
        assert fact in record, fact


def test_every_signature_shows_its_manifestation(closed, record):
    signatures = list(Signature.objects.filter(document__case=closed))
    assert signatures
    for signature in signatures:
        assert signature.printed_name in record
        assert format_datetime(signature.signed_at) in record
        assert signature.get_meaning_display() in record
    assert "seal verified" in record


def test_the_side_effect_report_and_its_forwarding_are_on_the_record(record):
    for fact in (
        "Suspected side effects",
        "Fine tremor of both hands since the second week.",
        "Not serious",
        "pv@aurinia.example",
    ):
        assert fact in record, fact
