"""Sign what you read, in a real browser: the physician opens the undertaking the
system wrote, reads it and signs it in place; the patient reads and signs the consent
in the tracker; the coordinator files; the pack downloaded afterwards shows both
signatures' manifestations and a complete checklist. Each page screenshotted and
checked with axe-core."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from documents.models import DocumentKind, Signature, SignerCapacity
from orders.models import CaseEvent
from orders.states import CaseStatus
from tests.conftest import PASSWORD
from tests.portals.conftest import PHONE, assert_accessible, shoot
from tests.portals.test_browser_coordinator import message, office_page
from tests.portals.test_browser_walk import act, pdf_file

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus
K = DocumentKind


def check(page, name: str) -> None:
    shoot(page, name)
    assert_accessible(page)


def pdf_text(pdf: bytes) -> str:
    return " ".join(
        " ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )


def test_the_undertaking_and_the_consent_are_read_and_signed_in_place_then_filed(
    live_server, browser_page, render_pending, physician, patient, coordinator, case_in
):
    case = case_in(S.FORMS_PREPARATION)
    render_pending()  # the undertaking, the consent and the pack, made on entering

    # The physician opens the undertaking from the case, reads it and signs it there.
    doctor = browser_page(physician.user)
    doctor.goto(f"/physician/cases/{case.pk}/")
    with doctor.expect_navigation():
        doctor.get_by_role("link", name="Sign the undertaking").click()
    paper = doctor.locator("article.paper")
    assert "Undertaking by the prescribing practitioner" in paper.inner_text()
    assert "NMC-123456" in paper.inner_text()
    assert doctor.get_by_role("link", name="Download the physician undertaking").count() == 1
    check(doctor, "signing-physician-undertaking")
    doctor.get_by_label("Your password").first.fill(PASSWORD)
    doctor.get_by_label("I have read this undertaking and sign it as its author.").first.check()
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Sign the undertaking").click()
    assert "You signed the undertaking" in message(doctor)

    # The patient reads the consent in the tracker and signs it, on her phone.
    tracker = browser_page(patient.user, viewport=PHONE)
    tracker.goto(f"/my/orders/{case.pk}/")
    with tracker.expect_navigation():
        tracker.get_by_role("link", name="Read and sign your consent").click()
    assert "Dr Anil Rao has explained to me" in tracker.locator("article.paper").inner_text()
    check(tracker, "signing-patient-consent")
    tracker.get_by_label("Your password").fill(PASSWORD)
    tracker.get_by_label("I have read this consent and I give it.").check()
    with tracker.expect_navigation():
        tracker.get_by_role("button", name="Sign the consent").click()
    assert "your consent is signed" in message(tracker)
    assert "Signed: Priya Menon" in tracker.locator("main").inner_text()
    # ... and sends her identity document.
    tracker.locator("select[name=kind]").select_option(K.PATIENT_IDENTITY)
    tracker.locator("input[name=file]").set_input_files(pdf_file("aadhaar.pdf"))
    with tracker.expect_navigation():
        tracker.get_by_role("button", name="Upload").click()

    signatures = Signature.objects.filter(document__case=case).select_related("document")
    assert {(s.document.kind, s.document.generated) for s in signatures} == {
        (K.PHYSICIAN_UNDERTAKING, True),
        (K.PATIENT_CONSENT, True),
    }
    assert signatures.get(document__kind=K.PATIENT_CONSENT).capacity == SignerCapacity.PATIENT
    assert all(signature.verifies() for signature in signatures)

    # The coordinator accepts the identity document and files the pack.
    office = office_page(browser_page, coordinator)
    office.goto(f"/work/cases/{case.pk}/")
    with office.expect_navigation():
        office.get_by_role("button", name="Accept Patient identity document").click()
    render_pending()  # the pack follows the signatures and the accepted document
    office.goto(f"/work/cases/{case.pk}/")
    page = office.inner_text("main")
    assert "Signed electronically: Anil Rao" in page
    assert "Signed electronically: Priya Menon" in page
    check(office, "signing-coordinator-before-filing")
    act(office, "file_application", {"regulator_reference": "SUGAM/12A/000321"})
    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT, office.inner_text("main")

    # The pack as filed, downloaded from the case page.
    filed = CaseEvent.objects.get(case=case, transition="file_application").data["filed_pack"]
    link = office.locator(f'a[href="/documents/{filed["document_id"]}/download"]').first
    with office.expect_download() as download:
        link.click()
    text = pdf_text(download.value.path().read_bytes())
    assert "Signed electronically by Anil Rao" in text
    assert "Meaning: Author" in text
    assert "Signed electronically by Priya Menon" in text
    assert "Meaning: Consent given" in text
    checklist = text[text.index("Checklist of attachments") :]
    assert "Not yet on file" not in checklist
    assert "not yet signed" not in checklist
    assert "pending review" not in checklist
    assert "signed electronically by Anil Rao on" in checklist
    assert "signed electronically by Priya Menon on" in checklist
