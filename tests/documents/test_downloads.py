"""Downloads: only through the authorised view, with safe headers and an audit row."""

from __future__ import annotations

import pytest
from django.urls import reverse

from documents.models import DocumentDownload, DocumentKind
from documents.services import document_upload
from orders.states import CaseStatus
from tests.documents import files

K = DocumentKind


@pytest.fixture
def prescription(draft_case, physician):
    return document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf("Rx for Priya"),
        filename="Rezept für Priya.pdf",
        actor=physician.user,
    )


@pytest.fixture
def consent(case_in, patient):
    # On a sent case: a draft is not its patient's to see, nor its papers.
    return document_upload(
        case=case_in(CaseStatus.SUBMITTED),
        kind=K.PATIENT_CONSENT,
        content=files.pdf("Consent"),
        filename="consent.pdf",
        actor=patient.user,
    )


def download(client, document):
    return client.get(reverse("documents:download", args=[document.pk]))


def test_the_physician_downloads_their_prescription_with_safe_headers(
    client, prescription, physician
):
    client.force_login(physician.user)

    response = download(client, prescription)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == prescription.file.open("rb").read()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Rezept%20f%C3%BCr%20Priya.pdf" in disposition


def test_each_download_is_recorded(client, prescription, coordinator):
    client.force_login(coordinator)

    download(client, prescription)
    download(client, prescription)

    rows = DocumentDownload.objects.filter(document=prescription)
    assert rows.count() == 2
    assert {row.user for row in rows} == {coordinator}
    assert all(row.downloaded_at for row in rows)


@pytest.mark.parametrize(
    ("who", "document", "status"),
    [
        ("coordinator", "prescription", 200),
        ("physician", "prescription", 200),
        ("physician", "consent", 200),
        ("patient", "consent", 200),
        ("patient", "prescription", 404),
        ("other_physician", "prescription", 404),
        ("other_physician", "consent", 404),
        ("other_patient", "consent", 404),
    ],
)
def test_who_may_download_what(db, client, request, who, document, status):
    persona = request.getfixturevalue(who)
    target = request.getfixturevalue(document)
    client.force_login(getattr(persona, "user", persona))

    response = download(client, target)

    assert response.status_code == status
    assert DocumentDownload.objects.count() == (1 if status == 200 else 0)


def test_a_patient_may_not_download_a_paper_of_a_draft(client, draft_case, patient, coordinator):
    on_draft = document_upload(
        case=draft_case,
        kind=K.PATIENT_CONSENT,
        content=files.pdf("Consent"),
        filename="consent.pdf",
        actor=coordinator,
    )
    client.force_login(patient.user)

    assert download(client, on_draft).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, prescription):
    response = download(client, prescription)
    assert response.status_code == 302
    assert DocumentDownload.objects.count() == 0


def test_a_file_changed_on_disk_is_refused_and_logged(client, prescription, coordinator, caplog):
    with open(prescription.file.path, "ab") as stored:
        stored.write(b"tampered")
    client.force_login(coordinator)

    response = download(client, prescription)

    assert response.status_code == 409
    assert "integrity" in response.content.decode()
    assert "Integrity check failed" in caplog.text
    assert DocumentDownload.objects.count() == 0
