"""The coordinator workbench through its pages (Django test client): the queue, the
case page and every action on it. Each action is checked by what it stored."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.generation.requests import request_render
from documents.models import Document, DocumentKind, RenderJob, RenderStatus, ReviewStatus
from orders.models import CaseEvent, ImportCase, Priority, Verification
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import new_case
from tests.orders.helpers import backdate, upload
from tests.portals.coordinator_helpers import (
    action_url,
    case_url,
    signed_in,
    transition_post,
)

S = CaseStatus
QUEUE = "/work/"


@pytest.fixture
def cora(coordinator):
    return signed_in(coordinator)


def submitted(case_in):
    return case_in(S.SUBMITTED)


def events_of(case: ImportCase) -> list[str]:
    return list(case.events.order_by("pk").values_list("transition", flat=True))


# --- Who may use the workbench ---------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, draft_case):
    for url in (QUEUE, case_url(draft_case)):
        response = client.get(url)
        assert response.status_code == 302
        assert "next=" in response["Location"]


@pytest.mark.parametrize("who", ["physician", "patient"])
def test_physicians_and_patients_are_refused_the_workbench(who, request, case_in):
    case = submitted(case_in)
    person = request.getfixturevalue(who)
    browser = signed_in(person.user)
    assert browser.get(QUEUE).status_code == 403
    # Even their own case: the workbench is not their page.
    assert browser.get(case_url(case)).status_code == 403
    response = browser.post(action_url(case, "hold"), transition_post(case, "hold", note="x"))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == S.SUBMITTED


def test_a_case_that_does_not_exist_is_not_found(cora):
    assert cora.get(reverse("orders:coordinator-case", args=[999999])).status_code == 404


# --- The queue ---------------------------------------------------------------------------


def test_the_queue_lists_open_cases_urgent_first_with_age_and_badges(
    cora, case_in, physician, other_patient, lupkynis
):
    normal = submitted(case_in)
    urgent = new_case(
        physician=physician, patient=other_patient, product=lupkynis, priority=Priority.URGENT
    )
    upload(urgent, DocumentKind.PRESCRIPTION, physician.user)
    urgent = case_transition(case=urgent, actor=physician.user, transition="submit")
    backdate(normal, hours=24 * 3)  # submitted: 2 days expected -> overdue

    response = cora.get(QUEUE)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(urgent.reference) < html.index(normal.reference)
    assert "Urgent" in html
    assert "Overdue" in html
    assert "3 d" in html
    # Counts per state: both are waiting for verification.
    counts = response.context["state_counts"]
    assert {c.state: c.count for c in counts}[S.SUBMITTED] == 2


def test_the_queue_leaves_out_drafts(cora, draft_case, other_case):
    html = cora.get(QUEUE).content.decode()
    assert draft_case.reference not in html
    assert "No cases match" in html


def test_the_queue_filters_by_state_coordinator_product_physician_and_overdue(
    cora, coordinator, case_in, other_physician, other_patient, lupkynis
):
    mine = submitted(case_in)
    theirs = new_case(physician=other_physician, patient=other_patient, product=lupkynis)
    upload(theirs, DocumentKind.PRESCRIPTION, other_physician.user)
    theirs = case_transition(case=theirs, actor=other_physician.user, transition="submit")
    theirs = case_transition(case=theirs, actor=coordinator, transition="hold", note="Wait")
    cora.post(reverse("orders:coordinator-assign", args=[mine.pk]))
    backdate(mine, hours=24 * 5)

    def listed(**params):
        page = cora.get(QUEUE, params).context["page"]
        return {row.reference for row in page.rows}

    assert listed() == {mine.reference, theirs.reference}
    assert listed(state=S.ON_HOLD) == {theirs.reference}
    assert listed(coordinator="me") == {mine.reference}
    assert listed(coordinator="none") == {theirs.reference}
    assert listed(physician=other_physician.pk) == {theirs.reference}
    assert listed(product=lupkynis.pk) == {mine.reference, theirs.reference}
    assert listed(overdue="on") == {mine.reference}
    assert listed(state=S.CLOSED) == set()


def test_the_queue_searches_reference_patient_and_physician_names(
    cora, case_in, other_physician, other_patient, lupkynis
):
    mine = submitted(case_in)
    theirs = new_case(physician=other_physician, patient=other_patient, product=lupkynis)
    upload(theirs, DocumentKind.PRESCRIPTION, other_physician.user)
    case_transition(case=theirs, actor=other_physician.user, transition="submit")

    def found(q):
        response = cora.post(QUEUE, {"q": q}, follow=True)
        return {row.reference for row in response.context["page"].rows}

    assert found(mine.reference) == {mine.reference}
    assert found("priya") == {mine.reference}
    assert found("Bela") == {theirs.reference}
    assert found("nobody-like-this") == set()


def test_assign_to_me_goes_through_the_service_and_records_an_event(cora, coordinator, case_in):
    case = submitted(case_in)
    response = cora.post(
        reverse("orders:coordinator-assign", args=[case.pk]), {"next": "/work/?state=submitted"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/work/?state=submitted"
    case.refresh_from_db()
    assert case.assigned_coordinator == coordinator
    event = case.events.order_by("pk").last()
    assert (event.transition, event.from_state, event.to_state) == (
        "assign",
        S.SUBMITTED,
        S.SUBMITTED,
    )
    assert event.data["coordinator"]["id"] == coordinator.pk
    # Redirects only within the site.
    response = cora.post(
        reverse("orders:coordinator-assign", args=[case.pk]), {"next": "//evil.example/"}
    )
    assert response["Location"] == case_url(case)


# --- The case page -----------------------------------------------------------------------


def test_the_case_page_shows_header_timeline_and_only_the_moves_available_now(cora, case_in):
    case = submitted(case_in)
    response = cora.get(case_url(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert "Priya Menon" in html
    assert "Lupkynis" in html
    assert "Submitted, awaiting verification" in html
    assert "state-code" not in html  # words, not codes
    assert "Request started" in html and "Submit for verification" in html  # timeline
    offered = {t["name"] for t in response.context["transitions"]} | {
        t["name"] for t in response.context["side_transitions"]
    }
    assert offered == {"verify", "request_information", "reject", "hold", "cancel"}
    assert f'action="/work/cases/{case.pk}/actions/dispatch"' not in html


def test_the_timeline_reads_in_words_with_lists_as_lists_and_rupees(cora, case_in):
    case = case_in(S.OUT_FOR_DELIVERY)

    html = cora.get(case_url(case)).content.decode()

    timeline = html[html.index('id="timeline-title"') :]
    assert "<dt>Diastolic BP</dt><dd>82 mmHg</dd>" in timeline
    assert (
        '<dt>Co-medications</dt><dd><ul class="plain-list"><li>mycophenolate mofetil</li>'
        "<li>prednisolone</li></ul></dd>" in timeline
    )
    assert "<dt>Assessable value</dt><dd>₹20,92,826.69</dd>" in timeline  # as quoted
    assert "<dt>Supplier</dt><dd>Aurinia Pharmaceuticals Inc.</dd>" in timeline
    for raw in ("Measure diastolic bp", "[&#x27;", "['", "{&#x27;", "Co medications"):
        assert raw not in timeline, raw


def accept_prescription(cora, case) -> None:
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    cora.post(
        reverse("orders:coordinator-review", args=[prescription.pk]),
        {f"r{prescription.pk}-decision": "accept"},
    )


def test_the_verification_checklist_shows_the_safety_screen_fields(cora, case_in):
    case = submitted(case_in)
    accept_prescription(cora, case)
    html = cora.get(case_url(case)).content.decode()
    for text in (
        "Verification checklist",
        "ketoconazole, itraconazole, clarithromycin",
        "eGFR (mL/min/1.73 m2)",
        "Systolic BP (mmHg)",
        'name="verify-threshold_justification"',
        'name="verify-prescription_date"',
    ):
        assert text in html, text


def test_the_port_of_entry_is_chosen_from_the_pathways_list_when_verifying(cora, case_in):
    case = submitted(case_in)
    accept_prescription(cora, case)
    html = cora.get(case_url(case)).content.decode()
    assert 'name="verify-port_of_entry"' in html
    assert '<option value="INBLR4" selected>' in html
    assert "Mumbai (BOM) Air Cargo Complex (customs station INBOM4)" in html


def test_the_application_details_set_the_port_and_record_an_event(cora, case_in):
    case = case_in(S.FORMS_PREPARATION)
    url = reverse("orders:coordinator-application", args=[case.pk])

    response = cora.post(url, {"application-port_of_entry": "INMAA4"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.port_of_entry == "INMAA4"
    assert events_of(case)[-1] == "update_application"
    html = cora.get(case_url(case)).content.decode()
    assert "Chennai (MAA) Air Cargo Complex (customs station INMAA4)" in html


def test_a_port_not_on_the_list_is_refused_on_the_page(cora, case_in):
    case = case_in(S.FORMS_PREPARATION)
    events = events_of(case)
    url = reverse("orders:coordinator-application", args=[case.pk])

    response = cora.post(url, {"application-port_of_entry": "Goa"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    case.refresh_from_db()
    assert case.port_of_entry == "INBLR4"
    assert events_of(case) == events


def test_the_application_details_are_closed_once_filed(cora, case_in):
    case = case_in(S.AWAITING_PERMIT)
    assert 'id="application"' not in cora.get(case_url(case)).content.decode()
    url = reverse("orders:coordinator-application", args=[case.pk])

    response = cora.post(url, {"application-port_of_entry": "INMAA4"}, follow=True)

    assert "can no longer be changed" in response.content.decode()
    case.refresh_from_db()
    assert case.port_of_entry == "INBLR4"


def test_verification_waits_for_the_prescription_to_be_accepted(cora, case_in):
    case = submitted(case_in)
    response = cora.get(case_url(case))
    html = response.content.decode()
    assert "Waiting for:</strong> an accepted prescription." in html
    assert 'id="act-verify"' not in html
    accept_prescription(cora, case)
    assert 'id="act-verify"' in cora.get(case_url(case)).content.decode()


def test_a_refusing_guard_is_shown_and_what_was_typed_is_kept(cora, case_in):
    case = submitted(case_in)  # the prescription is not accepted yet
    data = demo.verification_data(case, co_medications="prednisolone 10 mg")
    response = cora.post(action_url(case, "verify"), transition_post(case, "verify", **data))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Cannot verify prescription yet" in html
    assert "an accepted prescription" in html
    assert "prednisolone 10 mg" in html  # kept
    assert 'name="verify-measure_egfr" value="72"' in html
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert not Verification.objects.filter(case=case).exists()


def test_verify_with_an_unmet_threshold_needs_a_justification(cora, coordinator, case_in):
    case = submitted(case_in)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    cora.post(
        reverse("orders:coordinator-review", args=[prescription.pk]),
        {f"r{prescription.pk}-decision": "accept"},
    )
    data = demo.verification_data(case, measure_egfr="40")
    response = cora.post(action_url(case, "verify"), transition_post(case, "verify", **data))
    assert response.status_code == 400
    assert "a justification for eGFR 40" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.SUBMITTED

    data["threshold_justification"] = "Nephrologist judges benefit outweighs risk; eGFR weekly."
    response = cora.post(action_url(case, "verify"), transition_post(case, "verify", **data))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.FORMS_PREPARATION
    assert case.verification.threshold_justification.startswith("Nephrologist")
    assert events_of(case)[-1] == "verify"


def test_a_contraindicated_co_medication_is_named(cora, case_in):
    case = submitted(case_in)
    data = demo.verification_data(case, co_medications="ketoconazole 200 mg")
    html = cora.post(action_url(case, "verify"), transition_post(case, "verify", **data))
    assert "without ketoconazole" in html.content.decode()


def test_a_stale_page_cannot_act_on_a_case_that_moved(cora, coordinator, case_in):
    case = submitted(case_in)
    posted = transition_post(case, "hold", note="Pause")
    posted["hold-seen_status"] = S.DRAFT
    response = cora.post(action_url(case, "hold"), posted)
    assert response.status_code == 409
    assert "submitted this case at" in response.content.decode()
    assert "your Put on hold was not applied" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.SUBMITTED


def test_hold_needs_a_reason_and_resume_returns_where_it_was(cora, case_in):
    case = submitted(case_in)
    response = cora.post(action_url(case, "hold"), transition_post(case, "hold"))
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    case.refresh_from_db()
    assert case.status == S.SUBMITTED

    response = cora.post(
        action_url(case, "hold"), transition_post(case, "hold", note="Patient in hospital")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.ON_HOLD
    response = cora.post(
        action_url(case, "resume"), transition_post(case, "resume", note="Discharged")
    )
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    assert events_of(case)[-2:] == ["hold", "resume"]
    assert case.events.order_by("pk").last().note == "Discharged"


@pytest.mark.parametrize("transition, state", [("cancel", S.CANCELLED), ("reject", S.REJECTED)])
def test_cancel_and_reject_record_their_reason(cora, case_in, transition, state):
    case = submitted(case_in)
    reason = "The prescriber's registration could not be confirmed."
    response = cora.post(
        action_url(case, transition), transition_post(case, transition, note=reason)
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == state
    assert case.events.order_by("pk").last().note == reason


def test_a_move_not_available_now_is_refused_with_a_message(cora, case_in):
    case = submitted(case_in)
    response = cora.post(action_url(case, "dispatch"), transition_post(case, "dispatch"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.SUBMITTED
    page = cora.get(response["Location"])
    assert "not possible while" in page.content.decode()


def test_dispatch_form_has_exactly_the_shipment_fields(cora, coordinator, case_in):
    case = demo.settle_and_order(case_in(S.SUPPLIER_ORDERING), coordinator)
    form = next(
        t["form"]
        for t in cora.get(case_url(case)).context["transitions"]
        if t["name"] == "dispatch"
    )
    assert form.initial["purchase_order_number"] == f"PO-{case.reference}"
    assert set(form.fields) == {
        "supplier",
        "purchase_order_number",
        "batch_number",
        "manufactured_on",
        "expiry_date",
        "quantity_packs",
        "courier",
        "tracking_number",
        "seen_status",
    }
    data = demo.shipment_data(case, tracking_number="")
    response = cora.post(action_url(case, "dispatch"), transition_post(case, "dispatch", **data))
    html = response.content.decode()
    assert "the tracking number" in html
    assert f'value="PO-{case.reference}"' in html
    data = demo.shipment_data(case)
    response = cora.post(action_url(case, "dispatch"), transition_post(case, "dispatch", **data))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


# --- Documents -------------------------------------------------------------------------------


def test_review_accepts_a_pending_document(cora, coordinator, case_in):
    case = submitted(case_in)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    assert prescription.review_status == ReviewStatus.PENDING
    response = cora.post(
        reverse("orders:coordinator-review", args=[prescription.pk]),
        {f"r{prescription.pk}-decision": "accept"},
    )
    assert response.status_code == 302
    prescription.refresh_from_db()
    assert prescription.review_status == ReviewStatus.ACCEPTED
    assert prescription.reviewed_by == coordinator


def test_rejecting_a_document_needs_a_reason(cora, case_in):
    case = submitted(case_in)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    url = reverse("orders:coordinator-review", args=[prescription.pk])
    response = cora.post(url, {f"r{prescription.pk}-decision": "reject"})
    assert response.status_code == 400
    assert "Say why the document is rejected" in response.content.decode()
    prescription.refresh_from_db()
    assert prescription.review_status == ReviewStatus.PENDING

    response = cora.post(
        url, {f"r{prescription.pk}-decision": "reject", f"r{prescription.pk}-reason": "Illegible"}
    )
    assert response.status_code == 302
    prescription.refresh_from_db()
    assert prescription.review_status == ReviewStatus.REJECTED
    assert prescription.review_reason == "Illegible"
    assert "Rejected: Illegible" in cora.get(case_url(case)).content.decode()


def test_a_typed_reason_never_accepts_a_document(cora, case_in):
    # Enter in the reason field submits with the form's first button (Accept).
    case = submitted(case_in)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    response = cora.post(
        reverse("orders:coordinator-review", args=[prescription.pk]),
        {f"r{prescription.pk}-decision": "accept", f"r{prescription.pk}-reason": "Blurred"},
    )
    assert response.status_code == 400
    assert "A reason is for rejecting" in response.content.decode()
    assert 'value="Blurred"' in response.content.decode()
    prescription.refresh_from_db()
    assert prescription.review_status == ReviewStatus.PENDING


def test_a_coordinator_adds_a_document_from_the_case_page(cora, case_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.pdf_minimal import minimal_pdf

    case = case_in(S.AWAITING_PERMIT)
    response = cora.post(
        reverse("orders:coordinator-upload", args=[case.pk]),
        {
            "upload-kind": DocumentKind.IMPORT_PERMIT,
            "upload-file": SimpleUploadedFile("permit.pdf", minimal_pdf("Form 12B")),
        },
    )
    assert response.status_code == 302
    permit = case.documents.get(kind=DocumentKind.IMPORT_PERMIT)
    assert permit.review_status == ReviewStatus.ACCEPTED  # a coordinator's own upload

    response = cora.post(
        reverse("orders:coordinator-upload", args=[case.pk]),
        {
            "upload-kind": DocumentKind.IMPORT_PERMIT,
            "upload-file": SimpleUploadedFile("permit.pdf", b"<html>not a pdf</html>"),
        },
    )
    assert response.status_code == 400
    assert "not an accepted type" in response.content.decode()


def test_generated_documents_show_their_status_and_a_failed_one_is_rerun(
    cora, coordinator, case_in, django_capture_on_commit_callbacks
):
    case = case_in(S.FORMS_PREPARATION)
    # What the render handler asks for once the verification commits.
    job = request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator)
    RenderJob.objects.filter(pk=job.pk).update(
        status=RenderStatus.FAILED, last_error="RenderTimeout: took too long"
    )
    html = cora.get(case_url(case)).content.decode()
    assert "Failed" in html and "RenderTimeout" in html and "Re-run" in html

    with django_capture_on_commit_callbacks(execute=False):
        response = cora.post(reverse("orders:coordinator-render-retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == RenderStatus.PENDING
    assert "Pending" in cora.get(case_url(case)).content.decode()


# --- Resupply ---------------------------------------------------------------------------------


def test_a_resupply_case_is_created_from_a_delivered_one(cora, case_in):
    case = case_in(S.DELIVERED)
    response = cora.post(reverse("orders:coordinator-resupply", args=[case.pk]))
    created = ImportCase.objects.get(resupply_of=case)
    assert response["Location"] == case_url(created)
    assert created.status == S.DRAFT
    assert created.quantity_packs == case.quantity_packs
    # A second one is refused while the first is open.
    response = cora.post(reverse("orders:coordinator-resupply", args=[case.pk]), follow=True)
    assert "already being resupplied" in response.content.decode()
    assert ImportCase.objects.filter(resupply_of=case).count() == 1


def test_resupply_is_not_offered_before_delivery(cora, case_in):
    case = submitted(case_in)
    assert "Create resupply case" not in cora.get(case_url(case)).content.decode()
    cora.post(reverse("orders:coordinator-resupply", args=[case.pk]))
    assert not ImportCase.objects.filter(resupply_of=case).exists()


# --- CSRF and GET ------------------------------------------------------------------------------


def test_a_post_without_a_csrf_token_changes_nothing(coordinator, case_in):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from documents.pdf_minimal import minimal_pdf

    case = case_in(S.IN_TRANSIT)
    job = request_render(case=case, kind=DocumentKind.PURCHASE_ORDER, actor=coordinator)
    RenderJob.objects.filter(pk=job.pk).update(status=RenderStatus.FAILED)
    report = upload(case, DocumentKind.MEDICAL_REPORT, case.physician.user)
    strict = signed_in(coordinator, enforce_csrf_checks=True)

    def snapshot():
        return (
            ImportCase.objects.get(pk=case.pk).status,
            ImportCase.objects.get(pk=case.pk).assigned_coordinator_id,
            CaseEvent.objects.count(),
            Document.objects.count(),
            ImportCase.objects.count(),
            Document.objects.get(pk=report.pk).review_status,
            RenderJob.objects.get(pk=job.pk).status,
        )

    before = snapshot()
    for url, data in (
        (action_url(case, "hold"), transition_post(case, "hold", note="Pause")),
        (reverse("orders:coordinator-assign", args=[case.pk]), {}),
        (
            reverse("orders:coordinator-review", args=[report.pk]),
            {f"r{report.pk}-decision": "accept"},
        ),
        (
            reverse("orders:coordinator-upload", args=[case.pk]),
            {
                "upload-kind": DocumentKind.OTHER,
                "upload-file": SimpleUploadedFile("x.pdf", minimal_pdf("x")),
            },
        ),
        (
            reverse("orders:coordinator-temperature-log", args=[case.pk]),
            {"log-file": SimpleUploadedFile("l.csv", _readings(22, 40), content_type="text/csv")},
        ),
        (reverse("orders:coordinator-resupply", args=[case.pk]), {}),
        (reverse("orders:coordinator-render-retry", args=[job.pk]), {}),
    ):
        assert strict.post(url, data).status_code == 403, url
    assert snapshot() == before


def test_a_get_on_an_action_changes_nothing(cora, case_in):
    case = case_in(S.DELIVERED)
    prescription = case.documents.filter(kind=DocumentKind.PRESCRIPTION).first()
    before = (case.status, case.events.count(), ImportCase.objects.count())
    for url in (
        action_url(case, "close") + "?close-note=x",
        reverse("orders:coordinator-assign", args=[case.pk]),
        reverse("orders:coordinator-resupply", args=[case.pk]),
        reverse("orders:coordinator-review", args=[prescription.pk]) + "?decision=reject",
        reverse("orders:coordinator-temperature-log", args=[case.pk]),
    ):
        assert cora.get(url).status_code == 405, url
    case.refresh_from_db()
    assert (case.status, case.events.count(), ImportCase.objects.count()) == before


# --- Temperature log ------------------------------------------------------------------------------


def _log(rows: list[tuple[str, str]]) -> bytes:
    return ("timestamp,temperature_c\n" + "".join(f"{t},{c}\n" for t, c in rows)).encode()


def _readings(*temperatures: float, start: dt.datetime | None = None) -> bytes:
    start = start or timezone.localtime().replace(microsecond=0) - dt.timedelta(hours=6)
    return _log(
        [
            ((start + dt.timedelta(minutes=15 * i)).strftime("%Y-%m-%d %H:%M"), str(t))
            for i, t in enumerate(temperatures)
        ]
    )


def _post_log(client, case, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("orders:coordinator-temperature-log", args=[case.pk]),
        {"log-file": SimpleUploadedFile("logger.csv", content, content_type="text/csv")},
    )


def test_a_log_with_an_excursion_quarantines_the_case(cora, case_in):
    case = case_in(S.IN_TRANSIT)
    response = _post_log(cora, case, _readings(22, 23, 31.5, 32, 24, 22))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.QUARANTINED
    event = case.events.order_by("pk").last()
    assert event.transition == "quarantine"
    assert "max 32.0 °C" in event.note and "30 min outside the excursion range" in event.note
    assert case.documents.filter(kind=DocumentKind.TEMPERATURE_LOG).count() == 1
    page = cora.get(response["Location"]).content.decode()
    assert "<svg" in page and "Outside excursion range" in page and "32.0 °C" in page


def test_a_log_within_the_range_does_not_quarantine(cora, case_in):
    case = case_in(S.CUSTOMS_CLEARANCE)
    response = _post_log(cora, case, _readings(21, 22, 26, 27, 23))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    assert case.documents.filter(kind=DocumentKind.TEMPERATURE_LOG).count() == 1
    page = cora.get(case_url(case)).content.decode()
    assert "within the allowed excursion" in page  # 26 and 27 are above storage (25)
    assert "30 min" in page


def test_a_bad_log_is_refused_with_a_message_and_nothing_stored(cora, case_in):
    case = case_in(S.IN_TRANSIT)
    response = _post_log(cora, case, b"timestamp,temperature\n2026-01-01 10:00,warm\n")
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()
    assert not Document.objects.filter(case=case, kind=DocumentKind.TEMPERATURE_LOG).exists()
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


def test_the_log_upload_is_offered_only_in_transit_or_at_customs(cora, case_in):
    case = case_in(S.SUPPLIER_ORDERING)
    assert "Upload and check" not in cora.get(case_url(case)).content.decode()
    response = _post_log(cora, case, _readings(22, 40))
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == S.SUPPLIER_ORDERING
    assert CaseEvent.objects.filter(case=case, transition="quarantine").count() == 0


def test_an_urgent_case_is_due_sooner(cora, case_in, physician, other_patient, lupkynis, settings):
    settings.NPP_URGENT_EXPECTED_PERCENT = 50  # submitted: 2 days, urgent 1 day
    normal = submitted(case_in)
    urgent = new_case(
        physician=physician, patient=other_patient, product=lupkynis, priority=Priority.URGENT
    )
    upload(urgent, DocumentKind.PRESCRIPTION, physician.user)
    urgent = case_transition(case=urgent, actor=physician.user, transition="submit")
    backdate(normal, hours=36)
    backdate(urgent, hours=36)

    rows = {row.reference: row for row in cora.get(QUEUE).context["page"].rows}
    assert rows[urgent.reference].due.status == "overdue"
    assert rows[urgent.reference].due.allowed_text == "1 d"
    assert rows[normal.reference].due.status == "due"  # 36 of 48 hours: due soon
    overdue = cora.get(QUEUE, {"overdue": "on"}).context["page"].rows
    assert [row.reference for row in overdue] == [urgent.reference]


def test_the_case_page_queries_do_not_grow_with_its_history(cora, coordinator, case_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = case_in(S.SUBMITTED)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert cora.get(case_url(case)).status_code == 200
        return len(captured)

    before = queries()
    for _ in range(6):
        upload(case, DocumentKind.MEDICAL_REPORT, case.physician.user)
        upload(case, DocumentKind.OTHER, coordinator)
        case = case_transition(case=case, actor=coordinator, transition="hold", note="Wait")
        case = case_transition(case=case, actor=coordinator, transition="resume", note="Go")
    assert queries() == before


# --- The next step says what it needs before the coordinator tries ------------------------


def test_the_next_step_lists_what_a_case_waiting_for_signatures_needs(cora, case_in):
    case = case_in(S.FORMS_PREPARATION)  # nothing signed, no consent, no pack yet

    response = cora.get(case_url(case))

    html = response.content.decode()
    waiting = next(t for t in response.context["transitions"] if t["name"] == "file_application")
    assert waiting["waiting"] == [  # in the order the kinds are declared, on every database
        "an accepted patient identity document",
        "an accepted patient consent",
        "an accepted physician undertaking",
        "an accepted regulatory application pack",
    ]
    # The regulator's reference is typed into the form itself: not waited for.
    assert not any("reference" in need for need in waiting["waiting"])
    panel = html[html.index('id="wait-file_application"') :]
    assert "Waiting for:" in panel
    assert "an accepted patient consent; an accepted physician undertaking" in panel
    # No button that would be refused.
    assert f'action="{action_url(case, "file_application")}"' not in html


def test_a_move_with_nothing_to_wait_for_offers_its_form(cora, case_in):
    case = case_in(S.IN_TRANSIT)
    response = cora.get(case_url(case))
    arrive = next(t for t in response.context["transitions"] if t["name"] == "arrive")
    assert arrive["waiting"] == []
    assert f'action="{action_url(case, "arrive")}"' in response.content.decode()


def test_a_move_says_where_the_case_went_in_words(cora, case_in):
    case = case_in(S.IN_TRANSIT)
    response = cora.post(action_url(case, "arrive"), transition_post(case, "arrive"), follow=True)
    html = response.content.decode()
    assert f"{case.reference} moved to Customs clearance." in html
    assert "state-code" not in html


# --- Previews and the identity check ---------------------------------------------------------


def test_the_case_page_offers_a_preview_of_each_pdf_and_image(cora, case_in):
    case = submitted(case_in)
    prescription = case.documents.get(kind=DocumentKind.PRESCRIPTION)
    html = cora.get(case_url(case)).content.decode()
    assert f'src="{reverse("documents:preview", args=[prescription.pk])}"' in html
    assert 'loading="lazy"' in html  # fetched (and recorded) only when opened


def test_the_identity_check_shows_what_must_match_beside_the_identity_document(
    cora, case_in, patient
):
    case = case_in(S.FORMS_PREPARATION)
    identity = upload(case, DocumentKind.PATIENT_IDENTITY, patient.user)

    html = cora.get(case_url(case)).content.decode()

    card = html[html.index('id="identity"') :]
    card = card[: card.index("</section>")]
    assert patient.get_id_document_type_display() in card
    assert f"ending {patient.id_document_number_masked[-4:]}" in card
    assert f"{patient.date_of_birth:%-d %b %Y}" in card
    assert patient.city in card and patient.postal_code in card
    assert patient.phone in card
    assert f'src="{reverse("documents:preview", args=[identity.pk])}"' in card


# --- Side-effect reports ----------------------------------------------------------------------


def _reported_and_sent(case_in, physician):
    from orders.adverse_events import adverse_event_report, adverse_event_report_sent

    delivered = case_in(S.DELIVERED)
    report = adverse_event_report(
        case=delivered,
        reporter=physician.user,
        onset_date=timezone.localdate() - dt.timedelta(days=1),
        description="Tremor of both hands.",
        seriousness="serious",
    )
    adverse_event_report_sent(
        adverse_event=report, sent_to="drug.safety@aurinia.example", sent_at=timezone.now()
    )
    return delivered, report


def test_the_coordinator_records_the_manufacturers_receipt_on_the_case_page(
    cora, coordinator, physician, case_in
):
    delivered, report = _reported_and_sent(case_in, physician)
    page = cora.get(case_url(delivered)).content.decode()
    assert 'id="side-effects"' in page
    assert "Sent to drug.safety@aurinia.example" in page
    assert "Awaiting receipt" in page
    url = reverse("orders:coordinator-adverse-event-acknowledge", args=[delivered.pk, report.pk])

    refused = cora.post(url, {f"ack{report.pk}-acknowledged_on": "2099-01-01"})
    assert refused.status_code == 400
    assert "between the day the report was sent" in refused.content.decode()

    today = timezone.localdate().isoformat()
    response = cora.post(
        url,
        {
            f"ack{report.pk}-acknowledged_on": today,
            f"ack{report.pk}-manufacturer_reference": "PV-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#side-effects")
    report.refresh_from_db()
    assert (report.acknowledged_on.isoformat(), report.manufacturer_reference) == (today, "PV-77")
    assert report.acknowledged_by == coordinator
    assert events_of(delivered)[-1] == "acknowledge_adverse_event"
    page = cora.get(case_url(delivered)).content.decode()
    assert "Manufacturer confirmed receipt on" in page and "PV-77" in page


def test_a_report_of_another_case_is_not_found_from_this_one(cora, physician, case_in, other_case):
    _delivered, report = _reported_and_sent(case_in, physician)
    url = reverse("orders:coordinator-adverse-event-acknowledge", args=[other_case.pk, report.pk])

    response = cora.post(url, {f"ack{report.pk}-acknowledged_on": timezone.localdate()})

    assert response.status_code == 404
    report.refresh_from_db()
    assert report.acknowledged_on is None


def test_physicians_may_not_record_the_receipt(physician, case_in):
    delivered, report = _reported_and_sent(case_in, physician)
    url = reverse("orders:coordinator-adverse-event-acknowledge", args=[delivered.pk, report.pk])

    response = signed_in(physician.user).post(
        url, {f"ack{report.pk}-acknowledged_on": timezone.localdate()}
    )

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.acknowledged_on is None


# --- Parts of the page that keep up by themselves ---------------------------------------------


def test_the_generated_documents_poll_while_a_paper_renders_and_stop_after(
    cora, coordinator, case_in
):
    case = case_in(S.FORMS_PREPARATION)
    request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator)
    url = reverse("orders:coordinator-generated", args=[case.pk])

    html = cora.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in html and "Pending" in html

    RenderJob.objects.filter(case=case).update(status=RenderStatus.FAILED, last_error="Boom")
    html = cora.get(url).content.decode()
    assert "hx-get" not in html  # nothing renders: no more polling
    assert "Failed" in html and "Boom" in html


@pytest.mark.parametrize("who", ["physician", "patient"])
def test_the_generated_documents_part_is_for_coordinators(who, request, case_in):
    case = case_in(S.FORMS_PREPARATION)
    person = request.getfixturevalue(who)
    response = signed_in(person.user).get(reverse("orders:coordinator-generated", args=[case.pk]))
    assert response.status_code == 403


def test_a_filter_applied_in_place_moves_the_address_bar(cora, case_in):
    submitted(case_in)
    response = cora.get(QUEUE, {"state": S.SUBMITTED}, HTTP_HX_REQUEST="true")
    assert response["HX-Push-Url"] == f"{QUEUE}?state={S.SUBMITTED}"
    assert "HX-Push-Url" not in cora.get(QUEUE, {"state": S.SUBMITTED})


def test_the_inbox_count_part_is_the_headers_count(client, patient, coordinator, case_in):
    from notifications.services import event_fan_out
    from tests.notifications.conftest import event_on

    case = case_in(S.SUBMITTED)
    client.force_login(patient.user)
    url = reverse("orders:inbox-count")
    assert 'class="count"' not in client.get(url).content.decode()
    event_fan_out(event=event_on(case, "verify", coordinator, to_state=S.FORMS_PREPARATION))
    html = client.get(url).content.decode()
    assert 'id="inbox-count"' in html and 'aria-label="1 unread"' in html
    client.logout()
    assert client.get(url).status_code == 302
