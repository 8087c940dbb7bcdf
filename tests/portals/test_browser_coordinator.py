"""The coordinator workbench in a real browser (Chromium through Playwright) on the
live server: every page screenshotted at phone and desktop width and checked with
axe-core, and the actions clicked as a coordinator clicks them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from documents.models import DocumentKind, ReviewStatus
from documents.pdf_minimal import minimal_pdf
from orders.models import ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD, new_case
from tests.portals.conftest import assert_accessible, shoot, totp_code
from tests.portals.money_pages import MONEY_EVENTS, settle_through_pages

pytestmark = pytest.mark.django_db(transaction=True)
S = CaseStatus


def check(page, name: str) -> None:
    """Screenshots at both widths, axe-core clean, and nothing refused by the CSP."""
    shoot(page, name)
    assert_accessible(page)
    csp = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp, csp


def office_page(browser_page, coordinator):
    """A coordinator signed in with their authenticator code. A code typed as its
    30-second window closes is refused: type the next one, as a person would."""
    page = browser_page(coordinator)
    for _ in range(2):
        if "/2fa/authenticate" not in page.url:
            break
        page.wait_for_timeout(1000)
        page.get_by_label(re.compile("code", re.I)).first.fill(totp_code())
        page.get_by_role("button", name=re.compile("sign in|verify", re.I)).click()
        page.wait_for_load_state()
    assert "/2fa/authenticate" not in page.url
    return page


def message(page) -> str:
    return page.locator(".messages").inner_text()


def logger_csv(*temperatures: float) -> dict:
    start = timezone.localtime().replace(microsecond=0) - dt.timedelta(hours=12)
    rows = ["timestamp,temperature"] + [
        f"{(start + dt.timedelta(minutes=15 * i)):%Y-%m-%d %H:%M},{t}"
        for i, t in enumerate(temperatures)
    ]
    return {"name": "logger.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}


def test_the_queue_looks_right_filters_and_assigns(live_server, browser_page, coordinator, case_in):
    case = case_in(S.SUBMITTED)
    page = office_page(browser_page, coordinator)
    page.goto("/work/")
    assert case.reference in page.inner_text("main")
    check(page, "coordinator-queue")

    page.get_by_label("Search").fill("Priya")
    page.get_by_label("State", exact=True).select_option(S.SUBMITTED)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"state=submitted"))  # the results redrawn in place
    assert case.reference in page.locator("table").inner_text()
    check(page, "coordinator-queue-filtered")

    page.get_by_role("button", name=f"Assign to me {case.reference}").click()
    assert "assigned to you" in message(page)
    assert "state=submitted" in page.url  # back where the coordinator was
    case.refresh_from_db()
    assert case.assigned_coordinator == coordinator


def test_verification_through_the_case_page(live_server, browser_page, coordinator, case_in):
    case = case_in(S.SUBMITTED)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    check(page, "coordinator-case-submitted")

    # Before the prescription is accepted the next step says what it waits for,
    # instead of a checklist whose button would be refused.
    assert "Waiting for: an accepted prescription." in page.locator("#wait-verify").inner_text()
    assert page.locator("#act-verify").count() == 0
    check(page, "coordinator-case-waiting-for-prescription")

    # Accept the prescription, justify, verify.
    page.locator("#documents").get_by_role("button", name="Accept Prescription").click()
    assert "Prescription accepted" in message(page)
    form = page.locator("#act-verify")
    for label in (
        "Prescriber's registration confirmed",
        "Patient identity matches",
        "Drug, strength, dose and quantity match the prescription",
        "Prescription is signed",
        "Co-medications reviewed",
    ):
        form.get_by_label(label).check()
    form.get_by_label("Prescription date").fill(
        (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    )
    form.get_by_label("eGFR (mL/min/1.73 m2)").fill("40")
    form.get_by_label("Systolic BP (mmHg)").fill("128")
    form.get_by_label("Diastolic BP (mmHg)").fill("82")
    form.get_by_label("Justification where a threshold is not met").fill(
        "Benefit outweighs the risk; eGFR checked every two weeks."
    )
    form.get_by_role("button", name="Verify prescription").click()
    assert f"{case.reference} moved to Forms preparation" in message(page)
    case.refresh_from_db()
    assert case.status == S.FORMS_PREPARATION
    check(page, "coordinator-case-forms-preparation")


def test_a_temperature_excursion_quarantines_through_the_page(
    live_server, browser_page, coordinator, case_in
):
    case = case_in(S.IN_TRANSIT)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    check(page, "coordinator-case-in-transit")
    page.get_by_label("Data-logger file (CSV: timestamp, temperature in °C)").set_input_files(
        logger_csv(22, 23, 24, 33.5, 34, 26, 23, 22)
    )
    page.get_by_role("button", name="Upload and check").click()
    assert "now quarantined" in message(page)
    case.refresh_from_db()
    assert case.status == S.QUARANTINED
    assert page.locator("#temperature svg").is_visible()
    check(page, "coordinator-case-quarantined")

    # The quality decision: release, with its reason, signed with the coordinator's
    # password (meaning "quality release").
    release = page.locator("summary", has_text="Release after quality review")
    if release.count():  # folded away under "Pause, stop or question"
        release.click()
    form = page.locator("#act-release")
    form.locator("textarea").fill("Stability data covers 34 °C for 30 minutes: release.")
    form.get_by_label("Your password").fill(PASSWORD)
    form.get_by_role("button", name="Release after quality review").click()
    assert "Out for delivery" in message(page)
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
    documents = page.locator("#documents").inner_text()
    assert f"Signed electronically: {coordinator.full_name}" in documents
    assert "Quality release" in documents
    check(page, "coordinator-case-released")


def test_hold_resume_and_reject_with_reasons(live_server, browser_page, coordinator, case_in):
    case = case_in(S.SUBMITTED)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    page.locator("summary", has_text="Put on hold").click()
    page.locator("#act-hold").get_by_role("button", name="Put on hold").click()
    assert "This field is required" in page.locator("#act-hold").inner_text()
    check(page, "coordinator-case-hold-needs-reason")
    page.locator("#act-hold textarea").fill("Patient admitted to hospital.")
    page.locator("#act-hold").get_by_role("button", name="Put on hold").click()
    case.refresh_from_db()
    assert case.status == S.ON_HOLD
    check(page, "coordinator-case-on-hold")
    page.locator("summary", has_text="Resume").click()
    page.locator("#act-resume textarea").fill("Discharged.")
    page.locator("#act-resume").get_by_role("button", name="Resume").click()
    page.locator("summary", has_text="Reject").click()
    page.locator("#act-reject textarea").fill("Registration could not be confirmed.")
    page.locator("#act-reject").get_by_role("button", name="Reject").click()
    case.refresh_from_db()
    assert case.status == S.REJECTED
    assert [e.transition for e in case.events.order_by("pk")][-3:] == ["hold", "resume", "reject"]


def test_a_delivered_case_is_resupplied_and_documents_are_reviewed(
    live_server, browser_page, coordinator, case_in
):
    case = case_in(S.DELIVERED)
    demo.upload(case, DocumentKind.MEDICAL_REPORT, case.physician.user)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{case.pk}/")
    check(page, "coordinator-case-delivered")
    documents = page.locator("#documents")
    documents.get_by_label("Reason (required to reject)").fill("Wrong patient's report.")
    documents.get_by_role("button", name="Reject Medical report").click()
    report = case.documents.get(kind=DocumentKind.MEDICAL_REPORT)
    assert report.review_status == ReviewStatus.REJECTED
    page.get_by_role("button", name="Create resupply case").click()
    resupply = ImportCase.objects.get(resupply_of=case)
    assert resupply.reference in page.inner_text("main")
    check(page, "coordinator-case-resupply-draft")


def pdf_file(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf(name)}


def test_a_case_walks_from_request_to_delivery_through_the_pages_only(
    live_server, browser_page, physician, patient, coordinator, lupkynis
):
    # Before the walk: Priya is already Dr Rao's patient (an earlier, withdrawn request).
    earlier = new_case(physician=physician, patient=patient, product=lupkynis)
    case_transition(case=earlier, actor=physician.user, transition="cancel", note="Duplicate.")

    doctor = browser_page(physician.user)
    office = office_page(browser_page, coordinator)
    priya = browser_page(patient.user)
    today = timezone.localdate()

    def act(transition: str, **fields: str) -> None:
        """Fill the transition's form on the case page and press its button."""
        form = office.locator(f"#act-{transition}")
        for label, value in fields.items():
            field = form.get_by_label(label, exact=True)
            if field.evaluate("e => e.tagName") == "SELECT":
                field.select_option(value)
            else:
                field.fill(value)
        form.locator("button[type=submit]").click()
        office.wait_for_load_state()

    def accept(kind_label: str) -> None:
        office.locator("#documents").get_by_role("button", name=f"Accept {kind_label}").click()
        assert f"{kind_label} accepted" in message(office)

    def coordinator_uploads(kind: str, name: str) -> None:
        documents = office.locator("#documents")
        documents.locator("summary", has_text="Add a document").click()
        documents.locator("select[name=upload-kind]").select_option(kind)
        documents.locator("input[name=upload-file]").set_input_files(pdf_file(name))
        documents.get_by_role("button", name="Upload").click()
        assert "added" in message(office)

    def state() -> str:
        return ImportCase.objects.get(pk=case.pk).status

    # The physician's request, with the prescription.
    doctor.goto("/physician/cases/new/")
    doctor.get_by_label("A patient of mine").check()
    doctor.get_by_label("Existing patient").select_option(label="Priya Menon")
    doctor.get_by_label("Product").select_option(str(lupkynis.pk))
    doctor.get_by_label("Prescribed dose").fill("23.7 mg (3 capsules) twice daily")
    doctor.get_by_label("Units taken per day").fill("6")
    doctor.get_by_label("Quantity (packs)").fill("3")
    doctor.get_by_label("Treatment duration (days)").fill("90")
    doctor.get_by_label("Clinical justification").fill("Class IV lupus nephritis, refractory.")
    doctor.get_by_label("Prescription").set_input_files(pdf_file("prescription.pdf"))
    doctor.get_by_role("button", name="Submit request").click()
    case = ImportCase.objects.exclude(pk=earlier.pk).get()
    assert case.status == S.SUBMITTED

    # Verification.
    office.goto("/work/")
    office.get_by_role("link", name=case.reference).click()
    accept("Prescription")
    form = office.locator("#act-verify")
    for label in (
        "Prescriber's registration confirmed",
        "Patient identity matches",
        "Drug, strength, dose and quantity match the prescription",
        "Prescription is signed",
        "Co-medications reviewed",
    ):
        form.get_by_label(label).check()
    act(
        "verify",
        **{
            "Prescription date": (today - dt.timedelta(days=3)).isoformat(),
            "Co-medications the patient takes": "prednisolone",
            "eGFR (mL/min/1.73 m2)": "72",
            "Systolic BP (mmHg)": "128",
            "Diastolic BP (mmHg)": "82",
            # Form 12A names the port where the goods clear customs.
            "Port of entry": case.pathway.port_choices()[0][0],
        },
    )
    assert state() == S.FORMS_PREPARATION

    # The application: the pack, the physician's signed undertaking, the patient's papers.
    coordinator_uploads("regulatory_application", "form-12a.pdf")
    doctor.goto(f"/physician/cases/{case.pk}/")
    doctor.get_by_role("link", name="Sign the undertaking").click()
    doctor.get_by_label("Type your full name").first.fill("Anil Rao")
    doctor.get_by_label("Your password").first.fill(PASSWORD)
    doctor.get_by_label("I have read this undertaking and sign it as its author.").first.check()
    doctor.get_by_role("button", name="Sign the undertaking").click()
    assert "signed the undertaking" in message(doctor)
    priya.goto(f"/my/orders/{case.pk}/")
    for kind in ("patient_identity", "patient_consent"):
        priya.locator("select[name=kind]").select_option(kind)
        priya.locator("input[name=file]").set_input_files(pdf_file(f"{kind}.pdf"))
        priya.get_by_role("button", name="Upload").click()
        assert "was received" in message(priya)
    office.reload()  # the signed undertaking needs no review: its signature is the check
    accept("Patient identity document")
    accept("Patient consent")
    act("file_application", **{"Regulator's reference number": "SUGAM/12A/2026/0042"})
    assert state() == S.AWAITING_PERMIT

    # The permit.
    coordinator_uploads("import_permit", "form-12b.pdf")
    act(
        "record_permit",
        **{
            "Permit number": "12B/0042/2026",
            "Valid until": (today + dt.timedelta(days=180)).isoformat(),
        },
    )
    assert state() == S.SUPPLIER_ORDERING

    # The money: quoted, accepted by the patient, paid; then the order goes out.
    settle_through_pages(office, priya, case, payer_name="Priya Menon")

    # Dispatch, the journey and its temperature log, customs.
    act(
        "dispatch",
        **{
            "Purchase order number": "PO-0042",
            "Batch/lot number": "LOT42A",
            "Manufactured on": (today - dt.timedelta(days=60)).isoformat(),
            "Expiry date": (today + dt.timedelta(days=700)).isoformat(),
            "Courier": "DHL Express",
            "Tracking number": "JD014600042",
        },
    )
    assert state() == S.IN_TRANSIT
    office.get_by_label("Data-logger file (CSV: timestamp, temperature in °C)").set_input_files(
        logger_csv(21, 22, 23, 22, 21)
    )
    office.get_by_role("button", name="Upload and check").click()
    assert "within the excursion range" in message(office)
    act("arrive")
    assert state() == S.CUSTOMS_CLEARANCE
    act(
        "clear_customs",
        **{"Bill of Entry number": "BE2026004200", "Assessable value": "250000", "Duty paid": "0"},
    )
    assert state() == S.OUT_FOR_DELIVERY

    # The patient confirms delivery on her tracker.
    priya.goto(f"/my/orders/{case.pk}/")
    priya.get_by_role("button", name="I have received my medicine").click()
    assert "delivery is confirmed" in message(priya)
    assert state() == S.DELIVERED
    office.reload()
    assert "Delivered" in office.locator(".state-box").inner_text()
    check(office, "coordinator-case-walked-to-delivered")
    transitions = list(case.events.order_by("pk").values_list("transition", flat=True))
    assert transitions == [
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


def test_the_side_effect_reports_show_the_cioms_form_and_take_the_receipt(
    live_server, browser_page, coordinator, physician, case_in
):
    from documents.generation.adverse_event_report import adverse_event_report_prepare
    from notifications.services import event_deliver
    from orders.adverse_events import PREPARED, adverse_event_report
    from orders.models import CaseEvent

    delivered = case_in(S.DELIVERED)
    report = adverse_event_report(
        case=delivered,
        reporter=physician.user,
        onset_date=timezone.localdate() - dt.timedelta(days=1),
        description="Tremor of both hands and headache since the dose was increased.",
        seriousness="serious",
    )
    adverse_event_report_prepare(report.pk)
    event_deliver(event_id=CaseEvent.objects.get(case=delivered, transition=PREPARED).pk)
    page = office_page(browser_page, coordinator)
    page.goto(f"/work/cases/{delivered.pk}/#side-effects")
    section = page.locator("#side-effects")
    assert "CIOMS I form" in section.inner_text()
    assert "drug.safety@aurinia.example" in section.inner_text()
    check(page, "coordinator-side-effects")

    section.get_by_label("Their case number (if given)").fill("AUR-PV-0412")
    section.get_by_role("button", name="Record the manufacturer's receipt").click()
    assert "receipt of the report is recorded" in message(page)
    assert "AUR-PV-0412" in page.locator("#side-effects").inner_text()
    check(page, "coordinator-side-effects-acknowledged")
