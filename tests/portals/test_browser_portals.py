"""The physician portal and the patient tracker in a real browser (Chromium through
Playwright), on the live server: the information-request loop, outsiders' 404s, and
every page screenshotted at phone and desktop width and checked with axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from documents.models import DocumentKind
from documents.pdf_minimal import minimal_pdf
from orders.models import ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from tests.orders.helpers import upload
from tests.portals.conftest import PHONE, assert_accessible, shoot

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf(name)}


def check(page, name: str) -> None:
    """Screenshots at both widths, axe-core clean, and nothing refused by the CSP."""
    shoot(page, name)
    assert_accessible(page)
    csp = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp, csp


def message(page) -> str:
    return page.locator(".messages").inner_text()


def test_the_information_request_loop_through_the_pages(
    live_server, browser_page, physician, coordinator, lupkynis
):
    doctor = browser_page(physician.user)

    # The physician writes a new request for a new patient, with the prescription.
    doctor.goto("/physician/cases/new/")
    doctor.get_by_label("A new patient").check()
    doctor.get_by_label("Full name").fill("Lakshmi Iyer")
    doctor.get_by_label("Date of birth").fill("1984-02-11")
    doctor.get_by_label("Sex").select_option("F")
    doctor.get_by_label("Occupation").fill("Bank clerk")
    doctor.get_by_label("Identity document", exact=True).select_option("aadhaar")
    doctor.get_by_label("Identity document number").fill("4321 8765 2109")
    doctor.get_by_label("Delivery address").fill("4 Residency Road")
    doctor.get_by_label("City").fill("Bengaluru")
    doctor.get_by_label("Postal code").fill("560025")
    doctor.get_by_label("Product").select_option(str(lupkynis.pk))
    doctor.get_by_label("Prescribed dose").fill("23.7 mg (3 capsules) twice daily")
    doctor.get_by_label("Units taken per day").fill("6")
    doctor.get_by_label("Quantity (packs)").fill("60")
    assert "cap" in doctor.locator("[data-supply-output]").inner_text()  # the live warning
    doctor.get_by_label("Quantity (packs)").fill("3")
    assert "last 90 days" in doctor.locator("[data-supply-output]").inner_text()
    doctor.get_by_label("Treatment duration (days)").fill("90")
    doctor.get_by_label("Clinical justification").fill("Class IV lupus nephritis, refractory.")
    doctor.get_by_label("Prescription").set_input_files(pdf_file("prescription.pdf"))
    check(doctor, "physician-new-request")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Submit request").click()
    assert "was submitted" in message(doctor)
    case = ImportCase.objects.get()
    assert case.status == S.SUBMITTED
    check(doctor, "physician-case-submitted")

    # The coordinator asks a question on their case page.
    office = browser_page(coordinator)
    office.goto(f"/work/cases/{case.pk}/")
    form = office.locator("#act-request_information")
    if not form.is_visible():  # folded away under "Pause, stop or question"
        office.locator("summary", has_text="Request information").click()
    form.locator("textarea").first.fill("Please send the latest eGFR.")
    with office.expect_navigation():
        form.get_by_role("button").click()
    case.refresh_from_db()
    assert case.status == S.INFORMATION_REQUESTED

    # The physician sees it waiting on them first, answers with a document, resubmits.
    doctor.goto("/physician/")
    assert "Answer the coordinator" in doctor.locator("table").inner_text()
    check(doctor, "physician-home")
    doctor.get_by_role("link", name=case.reference).click()
    assert "Please send the latest eGFR." in doctor.inner_text("main")
    check(doctor, "physician-case-question")
    doctor.get_by_label("Your answer").fill("eGFR 72 mL/min on 3 March; report attached.")
    doctor.get_by_label("Document (optional)").select_option("medical_report")
    doctor.get_by_label("File", exact=True).set_input_files(pdf_file("egfr.pdf"))
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Send answer and resubmit").click()
    assert "back with the team" in message(doctor)
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert case.documents.filter(kind=DocumentKind.MEDICAL_REPORT).exists()

    # The coordinator reads the answer in the case history.
    office.goto(f"/work/cases/{case.pk}/")
    assert "eGFR 72 mL/min" in office.inner_text("main")


def test_a_patient_and_another_physician_get_404_on_a_case_not_theirs(
    live_server, browser_page, case_in, other_physician, other_patient
):
    case = case_in("in_transit")
    for user, urls in (
        (other_patient.user, [f"/my/orders/{case.pk}/", f"/physician/cases/{case.pk}/"]),
        (other_physician.user, [f"/physician/cases/{case.pk}/", f"/my/orders/{case.pk}/"]),
    ):
        page = browser_page(user)
        for url in urls:
            response = page.goto(url)
            assert response.status == 404, (user, url)
        documents = case.documents.all()
        for document in documents[:2]:
            assert page.goto(f"/documents/{document.pk}/download").status == 404


def test_the_physician_pages_look_right_and_pass_axe(
    live_server, browser_page, physician, patient, case_in, coordinator
):
    from tests.conftest import new_case

    case = case_in("forms_preparation")
    page = browser_page(physician.user)

    page.goto("/physician/patients/")
    check(page, "physician-patients")
    page.goto("/accounts/2fa/")
    check(page, "physician-security")
    page.goto("/accounts/logout/")
    check(page, "sign-out-confirm")
    page.goto(f"/physician/cases/{case.pk}/")
    check(page, "physician-case-forms-preparation")
    page.get_by_role("link", name="Sign the undertaking").click()
    page.get_by_label("Type your full name").first.fill("Anil Rao")
    page.get_by_label("Your password").first.fill("wrong password")
    page.get_by_label("I have read this undertaking and sign it as its author.").first.check()
    page.get_by_role("button", name="Sign the undertaking").click()
    assert "password is not correct" in page.inner_text("main")
    assert page.get_by_label("Type your full name").first.input_value() == "Anil Rao"
    check(page, "physician-sign-error")

    draft = new_case(physician=physician, patient=patient, product=case.product)
    page.goto(f"/physician/cases/{draft.pk}/edit/")
    page.get_by_label("Quantity (packs)").fill("40")
    assert "cap" in page.locator("[data-supply-output]").inner_text()
    check(page, "physician-case-edit")

    page.goto("/physician/cases/new/")
    page.get_by_label("A new patient").check()
    page.get_by_role("button", name="Save as draft").click()
    assert page.locator(".field-error").count() >= 5
    check(page, "physician-new-request-errors")

    from portals.demo import walk_to
    from tests.conftest import PASSWORD

    case.refresh_from_db()
    delivered = walk_to(case, S.DELIVERED, coordinator=coordinator, signing_password=PASSWORD)
    page.goto(f"/physician/cases/{delivered.pk}/")
    assert page.get_by_role("button", name="Request the next supply").is_visible()
    check(page, "physician-case-delivered")
    page.goto(f"/physician/cases/{delivered.pk}/side-effect/")
    check(page, "physician-side-effect")
    page.get_by_label("When did it start?").fill((dt.date.today()).isoformat())
    page.get_by_label("What happened?").fill("Tremor.")
    page.get_by_label("Not serious").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send the report").click()
    assert "side effect was reported" in message(page)


def test_the_patient_tracker_looks_right_and_passes_axe(
    live_server, browser_page, patient, case_in, coordinator
):
    case = case_in("out_for_delivery")
    upload(case, DocumentKind.PATIENT_INFORMATION, coordinator)
    page = browser_page(patient.user, viewport=PHONE)

    page.goto("/my/")
    check(page, "patient-home")
    page.get_by_role("link", name=re.compile("See details")).first.click()
    assert "Out for delivery" in page.inner_text("main")
    check(page, "patient-order-out-for-delivery")
    with page.expect_navigation():
        page.get_by_role("button", name="I have received my medicine").click()
    assert "delivery is confirmed" in message(page)
    case.refresh_from_db()
    assert case.status == S.DELIVERED
    check(page, "patient-order-delivered")
    page.get_by_role("link", name="Report a side effect").click()
    check(page, "patient-side-effect")
    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url("**/inbox/")
    page.get_by_role("heading", name="Messages").wait_for()
    check(page, "patient-inbox")


def test_the_patient_uploads_identity_while_the_application_is_prepared(
    live_server, browser_page, patient, physician, other_physician, lupkynis, coordinator
):
    from tests.conftest import new_case

    case = new_case(physician=physician, patient=patient, product=lupkynis)
    upload(case, DocumentKind.PRESCRIPTION, physician.user)
    case_transition(case=case, actor=physician.user, transition="submit")
    page = browser_page(patient.user)

    page.goto(f"/my/orders/{case.pk}/")
    page.locator("select[name=kind]").select_option("patient_identity")
    page.locator("input[name=file]").set_input_files(pdf_file("aadhaar.pdf"))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload").click()
    assert "was received" in message(page)
    check(page, "patient-order-checking")


def test_the_sign_in_pages_look_right_and_pass_axe(live_server, browser_page, physician):
    page = browser_page()
    page.goto("/accounts/login/")
    check(page, "sign-in")
    page.get_by_label("Email").fill(physician.user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.locator(".form-errors").count() == 1
    check(page, "sign-in-error")
    page.goto("/accounts/password/reset/")
    check(page, "password-reset")


def test_a_coordinator_is_asked_for_the_authenticator_code(live_server, browser_page, coordinator):
    from tests.conftest import PASSWORD
    from tests.portals.conftest import totp_code

    page = browser_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(coordinator.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "/accounts/2fa/authenticate/" in page.url
    check(page, "sign-in-code")
    page.locator('[name="code"]').fill(totp_code())
    page.locator('[name="code"]').press("Enter")
    page.wait_for_load_state()
    assert page.url.endswith("/work/")


def test_a_coordinator_without_an_authenticator_is_sent_to_set_it_up(live_server, browser_page, db):
    from npp.accounts.models import Role, User
    from tests.conftest import PASSWORD

    user = User.objects.create_user(
        "new.coordinator@npp.example", PASSWORD, full_name="Nita Rao", role=Role.COORDINATOR
    )
    page = browser_page(user)
    assert "/accounts/" in page.url
    page.goto("/")
    if "reauthenticate" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    assert "/accounts/2fa/totp/activate/" in page.url
    check(page, "coordinator-authenticator-setup")
