"""The patient sheet and delivery note given with the medicine, by its text (pypdf):
what the medicine is for, how to take it, the side effects to watch for and what to
do, storage, the pathway's emergency number and the service's phone; the permit, the
Bill of Entry, the lot and its expiry on the delivery note. No blank, no placeholder:
a sheet missing any of them is refused, naming what is missing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from documents.generation.jobs import render_job_run
from documents.generation.papers import render_document_pdf
from documents.generation.parts import PaperIncomplete
from documents.generation.requests import request_render
from documents.models import DocumentKind, RenderStatus
from orders.display import format_date
from orders.models import ImportCase, Product
from orders.states import CaseStatus
from tests.documents.test_rendering import pdf_pages

K = DocumentKind
S = CaseStatus


@pytest.fixture
def out_for_delivery(case_in, settings):
    settings.NPP_SERVICE_PHONE = "+91 80 4718 2200"
    return case_in(S.OUT_FOR_DELIVERY)


def sheet(case) -> tuple[str, str]:
    """(the patient sheet's text, the delivery note's text)."""
    pages = pdf_pages(render_document_pdf(case, K.PATIENT_INFORMATION)[0])
    note = next(i for i, page in enumerate(pages) if "Delivery note" in page)
    return " ".join(pages[:note]), " ".join(pages[note:])


def test_the_sheet_says_what_the_medicine_is_for_from_the_catalogue(out_for_delivery):
    text, _ = sheet(out_for_delivery)

    assert "What it is for" in text
    assert "Lupkynis treats active lupus nephritis in adults" in text
    assert "taken together with mycophenolate mofetil and a corticosteroid" in text


def test_the_sheet_says_how_to_take_it_and_how_to_store_it(out_for_delivery):
    text, _ = sheet(out_for_delivery)

    for fact in (
        "Your dose: 23.7 mg (3 capsules) twice daily.",
        "Swallow the capsules whole on an empty stomach",
        "Never take a double dose",
        "Store between 20 and 25 °C",
        "Keep in the original container",
    ):
        assert fact in text, fact


def test_the_sheet_lists_the_side_effects_to_watch_for_and_what_to_do(out_for_delivery):
    text, _ = sheet(out_for_delivery)

    emergency = text.index("Call 112 or go to the nearest hospital now if you have:")
    same_day = text.index("Call your doctor the same day if you have:")
    routine = text.index("Tell your doctor at your next visit, or sooner if it worries you:")
    assert emergency < same_day < routine
    assert emergency < text.index("Seizures (fits), confusion") < same_day
    assert same_day < text.index("signs of an infection") < routine
    assert routine < text.index("shaking hands (tremor)")
    assert "Do not stop taking Lupkynis on your own" in text


def test_the_sheet_gives_the_emergency_number_and_the_services_phone(out_for_delivery):
    text, _ = sheet(out_for_delivery)

    assert "Emergency (ambulance) 112" in text
    assert "call 112 or go to the nearest hospital" in text
    assert "+91 80 4718 2200" in text
    assert "local emergency number" not in text


def test_the_emergency_number_is_the_pathways(out_for_delivery):
    pathway = out_for_delivery.pathway
    pathway.emergency_number = "999"
    pathway.save()

    text, _ = sheet(out_for_delivery)

    assert "Call 999 or go to the nearest hospital now" in text
    assert "112" not in text


def test_the_delivery_note_carries_the_permit_the_bill_of_entry_the_lot_and_its_expiry(
    out_for_delivery,
):
    case = out_for_delivery
    shipment = case.current_shipment

    _, note = sheet(case)

    for fact in (
        f"Import permit {case.permit_number}",
        f"Form 12B, valid until {format_date(case.permit_valid_until)}",
        f"Bill of Entry {case.bill_of_entry_number}",
        f"cleared {format_date(case.clearance_date)}",
        shipment.batch_number,
        format_date(shipment.expiry_date),
        "3 packs",
    ):
        assert fact in note, fact


def test_no_blank_and_no_placeholder_anywhere(out_for_delivery):
    text, note = sheet(out_for_delivery)

    for placeholder in ("—", "None", "not stated", "[", "{"):
        assert placeholder not in text + note, placeholder


@pytest.mark.parametrize(
    "blank,named",
    [
        ({"product": {"indication": ""}}, "what the medicine is for"),
        ({"product": {"side_effects": []}}, "the side effects to watch for"),
        ({"pathway": {"emergency_number": ""}}, "the emergency number"),
        ({"case": {"bill_of_entry_number": ""}}, "the Bill of Entry number"),
        ({"case": {"permit_number": ""}}, "the permit number"),
    ],
)
def test_a_sheet_with_a_blank_is_refused_naming_it(out_for_delivery, blank, named):
    case = out_for_delivery
    for what, values in blank.items():
        if what == "product":
            Product.objects.filter(pk=case.product_id).update(**values)
        elif what == "pathway":
            type(case.pathway).objects.filter(pk=case.pathway_id).update(**values)
        else:
            ImportCase.objects.filter(pk=case.pk).update(**values)
    case = ImportCase.objects.get(pk=case.pk)

    with pytest.raises(PaperIncomplete, match=named):
        render_document_pdf(case, K.PATIENT_INFORMATION)


def test_a_refused_sheet_fails_its_render_job_with_the_reason(out_for_delivery, coordinator):
    Product.objects.filter(pk=out_for_delivery.product_id).update(indication="")
    case = ImportCase.objects.get(pk=out_for_delivery.pk)
    job = request_render(case=case, kind=K.PATIENT_INFORMATION, actor=coordinator)

    with pytest.raises(PaperIncomplete):
        render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.FAILED
    assert "what the medicine is for (the product's indication)" in job.last_error
    assert not case.documents.filter(kind=K.PATIENT_INFORMATION, render_job=job).exists()


def test_side_effects_in_the_catalogue_are_checked_for_their_shape(lupkynis):
    lupkynis.side_effects = [{"signs": "Rash", "urgency": "whenever"}]

    with pytest.raises(ValidationError, match="urgency"):
        lupkynis.full_clean()

    lupkynis.side_effects = [{"signs": "Rash", "urgency": "routine"}]
    lupkynis.full_clean()
