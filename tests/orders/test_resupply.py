"""Resupply in one click: a new draft case linked to the delivered one, pre-filled."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from pypdf import PdfReader

from documents.generation.application_pack import regulatory_application_data
from documents.generation.papers import render_document_pdf
from documents.models import Document, DocumentKind, ReviewStatus
from orders import guards
from orders.display import format_date
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.resupply import COPIED_FIELDS, case_create_resupply
from orders.services import case_transition
from orders.states import CaseStatus
from orders.timeline import event_details
from tests.orders.helpers import upload

S = CaseStatus
K = DocumentKind


@pytest.fixture
def delivered(case_in):
    return case_in(S.DELIVERED)


def test_the_physician_starts_the_next_import_prefilled_from_the_delivered_one(
    delivered, physician
):
    resupply = case_create_resupply(case=delivered, actor=physician.user)

    assert resupply.pk != delivered.pk
    assert resupply.status == S.DRAFT
    assert resupply.resupply_of == delivered
    for name in ("patient", "physician", "product", "pathway"):
        assert getattr(resupply, name) == getattr(delivered, name)
    for name in COPIED_FIELDS:
        assert getattr(resupply, name) == getattr(delivered, name), name
    assert resupply.daily_units == 6
    assert resupply.created_by == physician.user
    created = CaseEvent.objects.get(case=resupply)
    assert created.transition == CaseEvent.CREATED
    assert created.data["resupply_of"] == delivered.reference


def test_a_coordinator_may_start_it_too(delivered, coordinator):
    assert case_create_resupply(case=delivered, actor=coordinator).resupply_of == delivered


@pytest.mark.parametrize("who", ["other_physician", "patient"])
def test_others_may_not(delivered, request, who):
    outsider = request.getfixturevalue(who).user

    with pytest.raises(PermissionDenied):
        case_create_resupply(case=delivered, actor=outsider)

    assert not ImportCase.objects.filter(resupply_of=delivered).exists()


def test_a_case_not_yet_delivered_cannot_be_resupplied(case_in, physician):
    in_transit = case_in(S.IN_TRANSIT)

    with pytest.raises(DomainError, match="follows a delivery"):
        case_create_resupply(case=in_transit, actor=physician.user)


def test_one_open_resupply_at_a_time(delivered, physician):
    first = case_create_resupply(case=delivered, actor=physician.user)

    with pytest.raises(DomainError, match=first.reference):
        case_create_resupply(case=delivered, actor=physician.user)

    case_transition(case=first, actor=physician.user, transition="cancel", note="Dose changed.")
    second = case_create_resupply(case=delivered, actor=physician.user)
    assert second.resupply_of == delivered


def test_a_closed_case_can_be_resupplied(delivered, coordinator, physician):
    closed = case_transition(case=delivered, actor=coordinator, transition="close")

    assert case_create_resupply(case=closed, actor=physician.user).resupply_of == closed


# --- Documents still valid ------------------------------------------------------------------


def _age(case, kind, days):
    """Make the document of `kind` on `case` as old as `days`."""
    Document.objects.filter(case=case, kind=kind).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def test_a_resupply_reuses_the_documents_still_valid_and_asks_again_for_an_expired_one(
    delivered, physician, coordinator, india
):
    assert india.document_validity_days == {
        "prescription": 90,
        "patient_identity": 365,
        "patient_consent": 180,
    }
    _age(delivered, K.PATIENT_CONSENT, 170)  # within its 180 days
    _age(delivered, K.PATIENT_IDENTITY, 400)  # past its 365 days
    prescription_date = delivered.verification.prescription_date
    originals = {doc.kind: doc for doc in delivered.documents.current()}

    resupply = case_create_resupply(case=delivered, actor=physician.user)

    linked = {doc.kind: doc for doc in resupply.documents.current()}
    assert set(linked) == {K.PRESCRIPTION, K.PATIENT_CONSENT}
    for kind, doc in linked.items():
        assert doc.reused_from == originals[kind]
        assert doc.review_status == ReviewStatus.ACCEPTED
        assert (doc.sha256, doc.file.name) == (originals[kind].sha256, originals[kind].file.name)
        assert doc.file.open("rb").read()[:5] == b"%PDF-"
    consent_date = timezone.localdate(originals[K.PATIENT_CONSENT].created_at)
    created = CaseEvent.objects.get(case=resupply)
    assert created.data["reused_documents"] == [
        f"Prescription, dated {format_date(prescription_date)} ({delivered.reference})",
        f"Patient consent, uploaded {format_date(consent_date)} ({delivered.reference})",
    ]
    assert {
        "label": "Documents still valid, reused",
        "value": "",
        "items": created.data["reused_documents"],
    } in event_details(created)

    # No prescription asked for again, to submit or to verify; the identity is.
    assert guards.documents_required("submit").problems(resupply) == []
    assert guards.documents_required("verify").problems(resupply) == []
    wanted = guards.documents_required("file_application").problems(resupply)
    assert "an accepted patient identity document" in wanted
    assert "an accepted patient consent" not in wanted
    submitted = case_transition(case=resupply, actor=physician.user, transition="submit")
    assert submitted.status == S.SUBMITTED


def test_the_pack_lists_the_reused_documents_with_their_original_dates(
    delivered, physician, coordinator
):
    _age(delivered, K.PATIENT_IDENTITY, 400)
    consent = delivered.documents.current().get(kind=K.PATIENT_CONSENT)
    resupply = case_create_resupply(case=delivered, actor=physician.user)
    on_file = {
        row["item"]: row["on_file"] for row in regulatory_application_data(resupply)["attachments"]
    }
    consent_on = format_date(timezone.localdate(consent.created_at))
    prescribed_on = format_date(delivered.verification.prescription_date)

    assert on_file["Patient identity document"] == "Not yet on file"
    assert on_file["Prescription"] == (
        f"Accepted, reused from {delivered.reference}, dated {prescribed_on}"
    )
    consent_row = on_file["Patient's consent and declaration"]
    assert consent_row == f"Accepted, reused from {delivered.reference}, uploaded {consent_on}"

    # A fresh identity document is uploaded and reviewed as on any case.
    upload(resupply, K.PATIENT_IDENTITY, coordinator)
    pdf, _version = render_document_pdf(resupply, K.REGULATORY_APPLICATION)
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert f"reused from {delivered.reference}, dated {prescribed_on}" in text
    assert f"reused from {delivered.reference}, uploaded {consent_on}" in text


def test_a_new_upload_of_a_reused_kind_supersedes_it(delivered, physician):
    resupply = case_create_resupply(case=delivered, actor=physician.user)
    reused = resupply.documents.current().get(kind=K.PRESCRIPTION)

    fresh = upload(resupply, K.PRESCRIPTION, physician.user)

    assert fresh.version == 2 and fresh.supersedes == reused
    assert fresh.reused_from is None
    assert resupply.documents.current().get(kind=K.PRESCRIPTION) == fresh


def test_a_pathway_that_lists_no_validity_reuses_nothing(delivered, physician, india):
    india.document_validity_days = {}
    india.save()

    resupply = case_create_resupply(case=delivered, actor=physician.user)

    assert not resupply.documents.exists()
    assert "reused_documents" not in CaseEvent.objects.get(case=resupply).data
    assert guards.documents_required("submit").problems(resupply) == ["a prescription document"]
