"""A PDF uploaded through any form is stored without anything that acts: every
action, script, form script, XFA form and embedded file is gone from every object of
the stored copy, and the page still shows what it showed."""

from __future__ import annotations

import pytest

from tests.documents import endpoints
from tests.documents.hostile_pdfs import PAGE_TEXT, VARIANTS, active_content, hostile_pdf, page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(physician, patient, coordinator, case_in):
    return endpoints.People(physician, patient, coordinator, case_in)


def test_every_variant_carries_its_payload_before_cleaning():
    # The walk below would prove nothing if a variant carried nothing to find.
    for variant in VARIANTS:
        assert active_content(hostile_pdf(variant)), variant


@pytest.mark.parametrize("endpoint", endpoints.ONE_PER_ROLE)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_hostile_pdf_is_stored_without_active_content(people, endpoint, variant):
    document = endpoints.upload_through(endpoint, hostile_pdf(variant), "rx.pdf", people)

    stored = endpoints.download(document, endpoints.uploader(endpoint, people))

    assert document.content_type == "application/pdf"
    assert active_content(stored) == []
    assert PAGE_TEXT in page_text(stored)


@pytest.mark.parametrize("endpoint", endpoints.ENDPOINTS)
def test_every_upload_form_cleans_a_pdf(people, endpoint):
    document = endpoints.upload_through(
        endpoint, hostile_pdf("next-chain-javascript"), "rx.pdf", people
    )

    stored = endpoints.download(document, endpoints.uploader(endpoint, people))

    assert active_content(stored) == []
    assert PAGE_TEXT in page_text(stored)


def test_a_bookmark_that_jumps_inside_the_document_still_jumps():
    import io

    import pikepdf

    from documents.validation import clean_pdf

    with pikepdf.open(io.BytesIO(clean_pdf(hostile_pdf("outline-launch")))) as pdf:
        first = pdf.Root.Outlines.First
        assert str(first.Title) == "Dosage"
        assert first.Dest[0].objgen == pdf.pages[0].obj.objgen
        second = first.Next
        assert str(second.Title) == "Open" and "/A" not in second
