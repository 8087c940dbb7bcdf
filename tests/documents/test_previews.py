"""Previews: the first pages of a document as an image rendered on the server, through
the download's rules (visibility, audit row, no-store), for uploaded and generated
papers alike."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image

from documents import previews
from documents.generation.jobs import render_job_run
from documents.generation.requests import request_render
from documents.models import DocumentDownload, DocumentKind, RenderStatus
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
        filename="prescription.pdf",
        actor=physician.user,
    )


@pytest.fixture
def identity_photo(case_in, patient):
    # On a sent case: a draft is not its patient's to see, nor its papers.
    return document_upload(
        case=case_in(CaseStatus.SUBMITTED),
        kind=K.PATIENT_IDENTITY,
        content=files.png(2400, 1600),
        filename="aadhaar.png",
        actor=patient.user,
    )


def preview(client, document):
    return client.get(reverse("documents:preview", args=[document.pk]))


def image_of(response) -> Image.Image:
    return Image.open(io.BytesIO(response.content))


def test_a_pdf_preview_is_its_first_page_as_an_image_with_the_downloads_headers(
    client, prescription, physician
):
    client.force_login(physician.user)

    response = preview(client, prescription)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]
    image = image_of(response)
    assert image.width == previews.PREVIEW_WIDTH
    assert image.height > image.width  # a portrait page, drawn
    assert image.convert("L").getextrema()[0] < 128  # not a blank sheet
    row = DocumentDownload.objects.get(document=prescription)
    assert row.user == physician.user


def test_an_image_is_shown_scaled_to_the_preview_width(client, identity_photo, coordinator):
    client.force_login(coordinator)

    image = image_of(preview(client, identity_photo))

    assert image.size == (previews.PREVIEW_WIDTH, round(1600 * previews.PREVIEW_WIDTH / 2400))


def test_a_generated_paper_has_a_preview(client, case_in, coordinator):
    case = case_in("forms_preparation")
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    job = render_job_run(job.pk)
    assert job.status == RenderStatus.READY
    client.force_login(coordinator)

    response = preview(client, job.document)

    assert response.status_code == 200
    assert image_of(response).width == previews.PREVIEW_WIDTH


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("coordinator", 200),
        ("physician", 200),
        ("patient", 404),  # a patient never sees the prescription, nor its preview
        ("other_physician", 404),
        ("other_patient", 404),
    ],
)
def test_who_may_preview_follows_who_may_download(client, request, prescription, who, status):
    persona = request.getfixturevalue(who)
    client.force_login(getattr(persona, "user", persona))

    assert preview(client, prescription).status_code == status
    assert DocumentDownload.objects.count() == (1 if status == 200 else 0)


def test_a_patient_previews_their_own_identity_document(client, identity_photo, patient):
    client.force_login(patient.user)
    assert preview(client, identity_photo).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client, prescription):
    assert preview(client, prescription).status_code == 302
    assert DocumentDownload.objects.count() == 0


def test_a_file_changed_on_disk_has_no_preview(client, prescription, coordinator):
    with open(prescription.file.path, "ab") as stored:
        stored.write(b"tampered")
    client.force_login(coordinator)

    assert preview(client, prescription).status_code == 409
    assert DocumentDownload.objects.count() == 0


def test_a_csv_has_no_preview(client, case_in, coordinator):
    case = case_in("in_transit")
    log = document_upload(
        case=case,
        kind=K.TEMPERATURE_LOG,
        content=b"timestamp,temperature\n2026-01-01T00:00,22\n2026-01-01T01:00,23\n",
        filename="log.csv",
        actor=coordinator,
    )
    client.force_login(coordinator)
    assert preview(client, log).status_code == 404
