"""One import case from the physician's new request, through every coordinator step,
to the patient's confirmation of delivery: each person in their own browser context,
using only the pages (no admin, no ORM writes in between; the test only reads the
database to check what the pages stored)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from documents.pdf_minimal import minimal_pdf
from orders.models import ImportCase
from orders.states import CaseStatus
from portals import demo
from tests.portals.conftest import PHONE, assert_accessible, shoot
from tests.portals.money_pages import MONEY_EVENTS, settle_through_pages

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus
PATIENT_PASSWORD = "my-own-passphrase-2026"


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf(name)}


def fill(page, prefix: str, data: dict) -> None:
    """Type `data` into the fields named <prefix>-<name> of the page, as a person would."""
    for name, value in data.items():
        field = page.locator(f'[name="{prefix}-{name}"]')
        if not field.count():
            continue
        kind = field.first.evaluate("el => el.type || el.tagName.toLowerCase()")
        if kind == "checkbox":
            field.first.set_checked(bool(value))
        elif kind.startswith("select"):
            field.first.select_option(str(value))
        elif kind == "datetime-local":
            field.first.fill(str(value)[:16])
        else:
            field.first.fill(str(value))


def act(page, transition: str, data: dict | None = None) -> None:
    """Take `transition` with the form the coordinator's case page offers for it."""
    form = page.locator(f"#act-{transition}")
    if not form.is_visible():  # folded away in a <details>
        form.locator("xpath=ancestor::details").locator("summary").click()
    fill(page, transition, data or {})
    with page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def accept(page, label: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=f"Accept {label}").click()


def add_document(page, kind: str, name: str) -> None:
    page.locator("summary", has_text="Add a document").click()
    page.locator('[name="upload-kind"]').select_option(kind)
    page.locator('[name="upload-file"]').set_input_files(pdf_file(name))
    with page.expect_navigation():
        page.locator('[name="upload-file"]').locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()


def check_page(page, name: str) -> None:
    shoot(page, name)
    assert_accessible(page)


def status(case: ImportCase) -> str:
    case.refresh_from_db()
    return case.status


def test_a_case_walks_from_the_request_to_the_patients_confirmation(
    live_server, browser_page, physician, coordinator, lupkynis
):
    # The physician requests the medicine for a new patient, who is invited by email.
    doctor = browser_page(physician.user)
    doctor.goto("/physician/cases/new/")
    doctor.get_by_label("A new patient").check()
    doctor.get_by_label("Full name").fill("Lakshmi Iyer")
    doctor.get_by_label("Date of birth").fill("1984-02-11")
    doctor.get_by_label("Sex").select_option("F")
    doctor.locator('[name="occupation"]').fill("Teacher")
    doctor.get_by_label("Identity document", exact=True).select_option("aadhaar")
    doctor.get_by_label("Identity document number").fill("4321 8765 2109")
    doctor.get_by_label("Delivery address").fill("4 Residency Road")
    doctor.get_by_label("City").fill("Bengaluru")
    doctor.get_by_label("Postal code").fill("560025")
    doctor.get_by_label("Email").fill("lakshmi.iyer@example.com")
    doctor.get_by_label("Product").select_option(str(lupkynis.pk))
    doctor.get_by_label("Prescribed dose").fill("23.7 mg (3 capsules) twice daily")
    doctor.get_by_label("Units taken per day").fill("6")
    doctor.get_by_label("Quantity (packs)").fill("3")
    doctor.get_by_label("Treatment duration (days)").fill("90")
    doctor.get_by_label("Clinical justification").fill("Class IV lupus nephritis, refractory.")
    doctor.get_by_label("Prescription").set_input_files(pdf_file("prescription.pdf"))
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Submit request").click()
    case = ImportCase.objects.get()
    assert status(case) == S.SUBMITTED

    # The patient chooses a password from the invitation and signs in.
    invitation = next(m for m in mail.outbox if "lakshmi.iyer@example.com" in m.to)
    link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+)", invitation.body).group(1)
    patient = browser_page(viewport=PHONE)
    patient.goto(link)
    check_page(patient, "patient-invitation-set-password")
    patient.locator('[name="password1"]').fill(PATIENT_PASSWORD)
    patient.locator('[name="password2"]').fill(PATIENT_PASSWORD)
    with patient.expect_navigation():
        patient.get_by_role("button", name="Save my password").click()
    # Signed in by choosing the password, she lands on her order.
    patient.wait_for_url(f"**/my/orders/{case.pk}/")
    assert case.reference in patient.inner_text("main")

    # The coordinator accepts the prescription and verifies it.
    office = browser_page(coordinator)
    office.goto(f"/work/cases/{case.pk}/")
    accept(office, "Prescription")
    # Form 12A names the port where the goods clear customs: chosen at verification.
    port = case.pathway.port_choices()[0][0]
    act(office, "verify", demo.verification_data(case, port_of_entry=port))
    assert status(case) == S.FORMS_PREPARATION, office.inner_text("main")

    # The physician signs the undertaking; the patient sends identity and consent.
    # The undertaking the system wrote is read on its page and signed there.
    doctor.goto(f"/physician/cases/{case.pk}/sign/")
    assert "NMC-123456" in doctor.locator("article.paper").inner_text()
    doctor.get_by_label("Type your full name").first.fill("Anil Rao")
    doctor.get_by_label("Your password").first.fill("correct-horse-battery-staple")
    doctor.get_by_label("I have read this undertaking and sign it as its author.").first.check()
    doctor.get_by_role("button", name="Sign the undertaking").click()
    assert "You signed the undertaking" in doctor.inner_text("main")
    patient.goto(f"/my/orders/{case.pk}/")
    for kind, name in (("patient_identity", "aadhaar.pdf"), ("patient_consent", "consent.pdf")):
        patient.locator("select[name=kind]").select_option(kind)
        patient.locator("input[name=file]").set_input_files(pdf_file(name))
        with patient.expect_navigation():
            patient.get_by_role("button", name="Upload").click()
        assert "was received" in patient.locator(".messages").inner_text()

    # The coordinator reviews them, adds the application pack and files it.
    office.goto(f"/work/cases/{case.pk}/")
    accept(office, "Patient identity document")
    accept(office, "Patient consent")
    add_document(office, "regulatory_application", "application-pack.pdf")
    act(office, "file_application", {"regulator_reference": "SUGAM/12A/000123"})
    assert status(case) == S.AWAITING_PERMIT, office.inner_text("main")

    # Permit, dispatch, arrival, customs.
    add_document(office, "import_permit", "permit.pdf")
    act(office, "record_permit", demo.permit_data(case))
    assert status(case) == S.SUPPLIER_ORDERING, office.inner_text("main")
    settle_through_pages(office, patient, case, payer_name="Lakshmi Iyer")
    act(office, "dispatch", demo.shipment_data(case))
    assert status(case) == S.IN_TRANSIT, office.inner_text("main")
    act(office, "arrive")
    assert status(case) == S.CUSTOMS_CLEARANCE, office.inner_text("main")
    act(office, "clear_customs", demo.customs_data(case))
    assert status(case) == S.OUT_FOR_DELIVERY, office.inner_text("main")

    # The patient sees it coming and confirms the delivery.
    patient.goto(f"/my/orders/{case.pk}/")
    assert "Out for delivery" in patient.inner_text("main")
    shoot(patient, "walk-patient-out-for-delivery")
    assert_accessible(patient)
    with patient.expect_navigation():
        patient.get_by_role("button", name="I have received my medicine").click()
    assert "delivery is confirmed" in patient.locator(".messages").inner_text()
    assert status(case) == S.DELIVERED
    assert case.delivered_to == "Lakshmi Iyer"
    assert list(case.events.values_list("transition", flat=True)) == [
        "create",
        "submit",
        "verify",
        "file_application",
        "record_permit",
        *MONEY_EVENTS,
        "dispatch",
        "arrive",
        "clear_customs",
        "confirm_delivery",
        "issue_invoice",
    ]
