"""The patient tracker through the Django test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from documents.models import DocumentKind
from documents.pdf_minimal import minimal_pdf
from orders.models import AdverseEvent
from orders.services import case_transition
from orders.states import PATIENT_LABELS, CaseStatus
from orders.tracker import expected_by, progress_of
from tests.orders.helpers import upload

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def priya(client, patient):
    client.force_login(patient.user)
    return client


def test_my_orders_show_the_plain_language_state_next_step_and_expected_date(priya, case_in):
    case = case_in("awaiting_permit")

    response = priya.get("/my/")

    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html
    assert PATIENT_LABELS[S.AWAITING_PERMIT] in html
    expected = progress_of(case).expected_delivery
    assert expected is not None
    assert expected.strftime("%-d %b %Y") in html


def test_a_draft_is_not_shown_until_the_physician_sends_it(priya, draft_case):
    assert draft_case.reference not in priya.get("/my/").content.decode()
    assert priya.get(f"/my/orders/{draft_case.pk}/").status_code == 404


def test_the_progress_line_marks_steps_done_current_and_to_come(case_in):
    progress = progress_of(case_in("in_transit"))

    statuses = [step.status for step in progress.steps]
    assert statuses[:4] == ["done"] * 4
    assert statuses[4] == "current"
    assert progress.steps[4].label == PATIENT_LABELS[S.IN_TRANSIT]
    assert set(statuses[5:]) == {"todo"}


def test_my_order_page_shows_only_documents_i_may_see_and_no_internal_notes(
    priya, case_in, coordinator
):
    case = case_in("out_for_delivery")
    upload(case, DocumentKind.PATIENT_INFORMATION, coordinator)
    upload(case, DocumentKind.PURCHASE_ORDER, coordinator)

    response = priya.get(f"/my/orders/{case.pk}/")

    assert response.status_code == 200
    names = {d.kind for d in response.context["documents"]}
    assert DocumentKind.PATIENT_INFORMATION in names
    assert DocumentKind.PRESCRIPTION not in names
    assert DocumentKind.PURCHASE_ORDER not in names
    assert DocumentKind.PHYSICIAN_UNDERTAKING not in names
    html = response.content.decode()
    for event in case.events.exclude(note=""):
        assert event.note not in html
    assert "SUGAM" not in html  # the regulator's reference is internal


def test_someone_elses_order_is_not_found(priya, other_case, other_physician):
    from orders.services import case_transition
    from tests.orders.helpers import upload as add

    add(other_case, DocumentKind.PRESCRIPTION, other_physician.user)
    case_transition(case=other_case, actor=other_physician.user, transition="submit")

    assert priya.get(f"/my/orders/{other_case.pk}/").status_code == 404
    assert priya.post(f"/my/orders/{other_case.pk}/confirm-delivery/").status_code == 404
    assert priya.get(f"/my/orders/{other_case.pk}/side-effect/").status_code == 404
    assert other_case.reference not in priya.get("/my/").content.decode()


@pytest.mark.parametrize("persona", ["physician", "coordinator"])
def test_the_tracker_is_only_for_patients(request, client, persona):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))

    assert client.get("/my/").status_code == 404


def test_uploading_my_identity_document(priya, case_in, patient):
    case = case_in("forms_preparation")
    file = SimpleUploadedFile("aadhaar.pdf", minimal_pdf("Aadhaar"), content_type="application/pdf")

    response = priya.post(
        f"/my/orders/{case.pk}/documents/", {"kind": "patient_identity", "file": file}
    )

    assert response.status_code == 302
    document = case.documents.current().get(
        kind=DocumentKind.PATIENT_IDENTITY, uploaded_by=patient.user
    )
    assert document.review_status == "pending"
    assert "was received" in priya.get(response["Location"]).content.decode()


def test_a_patient_cannot_upload_other_kinds_of_document(priya, case_in):
    case = case_in("forms_preparation")
    file = SimpleUploadedFile("rx.pdf", minimal_pdf("Rx"), content_type="application/pdf")

    response = priya.post(
        f"/my/orders/{case.pk}/documents/", {"kind": "prescription", "file": file}
    )

    assert response.status_code == 400
    assert not case.documents.filter(uploaded_by__role="patient", kind="prescription").exists()


def test_confirming_delivery_records_me_now_and_the_shipped_lot(priya, case_in, patient):
    case = case_in("out_for_delivery")

    response = priya.post(f"/my/orders/{case.pk}/confirm-delivery/", {"delivered_lot": ""})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.DELIVERED
    assert case.delivered_to == patient.full_name
    assert case.delivered_lot == case.current_shipment.batch_number
    event = case.events.last()
    assert event.transition == "confirm_delivery" and event.actor == patient.user


def test_confirming_delivery_before_it_is_out_is_refused_with_a_message(priya, case_in):
    case = case_in("in_transit")

    response = priya.post(f"/my/orders/{case.pk}/confirm-delivery/", follow=True)

    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    assert response.status_code == 200
    assert "message-error" in response.content.decode()


def test_reporting_a_side_effect(priya, case_in, patient):
    case = case_in("delivered")
    assert priya.get(f"/my/orders/{case.pk}/side-effect/").status_code == 200

    response = priya.post(
        f"/my/orders/{case.pk}/side-effect/",
        {
            "onset_date": (dt.date.today() - dt.timedelta(days=2)).isoformat(),
            "description": "Hand tremor since Tuesday.",
            "seriousness": "non_serious",
        },
    )

    assert response.status_code == 302
    report = AdverseEvent.objects.get()
    assert report.reported_by == patient.user
    assert report.outcome == AdverseEvent.Outcome.UNKNOWN


def test_a_side_effect_in_the_future_is_refused_and_the_text_kept(priya, case_in):
    case = case_in("delivered")

    response = priya.post(
        f"/my/orders/{case.pk}/side-effect/",
        {
            "onset_date": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            "description": "Headache.",
            "seriousness": "non_serious",
        },
    )

    assert response.status_code == 400
    assert not AdverseEvent.objects.exists()
    assert "Headache." in response.content.decode()


def test_my_orders_paginate(priya, physician, patient, lupkynis, coordinator):
    from orders.services import case_transition
    from tests.conftest import new_case
    from tests.orders.helpers import upload as add

    for _ in range(11):
        case = new_case(physician=physician, patient=patient, product=lupkynis)
        add(case, DocumentKind.PRESCRIPTION, physician.user)
        case_transition(case=case, actor=physician.user, transition="submit")

    assert len(priya.get("/my/").context["page"].object_list) == 10
    assert len(priya.get("/my/?page=2").context["page"].object_list) == 1


def test_the_order_list_says_which_step_of_how_many(priya, case_in):
    case_in("in_transit")

    assert "Step 5 of 9" in priya.get("/my/").content.decode()


def test_the_expected_date_follows_the_same_clock_as_the_queue_and_is_sooner_when_urgent(
    case_in, settings
):
    settings.NPP_URGENT_EXPECTED_PERCENT = 50
    case = case_in("supplier_ordering")  # India: 7 days expected in this state
    entered = case.state_changed_at

    normal = expected_by(case)
    case.priority = "urgent"
    urgent = expected_by(case)

    assert normal == timezone.localdate(entered + dt.timedelta(days=7))
    assert urgent == timezone.localdate(entered + dt.timedelta(days=3.5))


def test_my_order_history_names_each_step_in_my_words_without_notes_or_staff(
    priya, case_in, coordinator
):
    case = case_in("awaiting_permit")
    case_transition(case=case, actor=coordinator, transition="hold", note="Internal: call Dr Rao")

    html = priya.get(f"/my/orders/{case.pk}/").content.decode()

    history = html[html.index('id="history-title"') :]
    history = history[: history.index("</section>")]
    for label in (
        "Paused",
        "Waiting for the import permit",
        "Preparing the import application",
        "We are checking the prescription",
    ):
        assert label in history, label
    assert "Internal: call Dr Rao" not in history
    assert coordinator.full_name not in history
    assert "awaiting_permit" not in history and "on_hold" not in history
