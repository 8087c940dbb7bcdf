"""Uploads are judged by their bytes; a refusal leaves nothing behind."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from documents.models import Document, DocumentKind, ReviewStatus
from documents.services import document_upload
from documents.validation import UploadRejected
from tests.documents import files

K = DocumentKind


def stored_files(settings) -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def temp_uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("*.upload*")}


def test_a_png_named_pdf_is_accepted_as_what_it_is(draft_case, physician):
    document = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.png(),
        filename="scan.pdf",
        actor=physician.user,
    )

    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")
    assert document.original_filename == "scan.pdf"
    assert document.review_status == ReviewStatus.PENDING


def test_an_image_is_reencoded_without_its_exif(draft_case, physician):
    original = files.jpeg(gps_exif=True)
    assert b"LocationLeakingApp" in original

    document = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=original,
        filename="photo.jpg",
        actor=physician.user,
    )

    stored = document.file.open("rb").read()
    assert stored[:3] == b"\xff\xd8\xff"
    assert b"LocationLeakingApp" not in stored
    assert b"SecretCameraMaker" not in stored


def test_a_pdf_is_stored_without_javascript_or_open_actions(draft_case, physician):
    document = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf_with_javascript(),
        filename="rx.pdf",
        actor=physician.user,
    )

    stored = document.file.open("rb").read()
    assert b"/JavaScript" not in stored
    assert b"/OpenAction" not in stored
    assert b"app.alert" not in stored


def test_a_pdf_that_is_also_html_keeps_only_its_pdf(draft_case, physician):
    document = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf_html_polyglot(),
        filename="rx.pdf",
        actor=physician.user,
    )

    stored = document.file.open("rb").read()
    assert stored.startswith(b"%PDF")
    assert b"<script" not in stored


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (files.WINDOWS_EXE, "prescription.pdf", "not an accepted type"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "prescription.png", "not an accepted type"),
        (b"<html><body>hi</body></html>", "prescription.pdf", "not an accepted type"),
        (b"", "prescription.pdf", "empty"),
        (files.CORRUPT_PDF, "prescription.pdf", "damaged"),
        (files.png_bomb(), "scan.png", "too large"),
        (files.TEMPERATURE_CSV, "prescription.pdf", "not an accepted type"),
    ],
    ids=["exe-as-pdf", "gif-as-png", "html-as-pdf", "empty", "corrupt-pdf", "bomb", "csv-as-rx"],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    draft_case, physician, settings, content, filename, message
):
    temp_before = temp_uploads()

    with pytest.raises(UploadRejected, match=message):
        document_upload(
            case=draft_case,
            kind=K.PRESCRIPTION,
            content=content,
            filename=filename,
            actor=physician.user,
        )

    assert Document.objects.count() == 0
    assert stored_files(settings) == []
    assert temp_uploads() == temp_before


def test_a_file_over_the_limit_is_refused(draft_case, physician, settings):
    settings.NPP_UPLOAD_MAX_BYTES = 200
    with pytest.raises(UploadRejected, match="larger than"):
        document_upload(
            case=draft_case,
            kind=K.PRESCRIPTION,
            content=files.pdf(),
            filename="rx.pdf",
            actor=physician.user,
        )
    assert Document.objects.count() == 0


def test_a_path_traversal_filename_is_kept_only_as_a_clean_name(draft_case, physician, settings):
    document = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf(),
        filename="../../../etc/passwd\x00.pdf",
        actor=physician.user,
    )

    assert document.original_filename == "passwd.pdf"
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"]).resolve()
    path = Path(document.file.path).resolve()
    assert root in path.parents
    assert "passwd" not in path.name
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_a_temperature_log_may_be_csv(case_in, coordinator):
    case = case_in("in_transit")
    document = document_upload(
        case=case,
        kind=K.TEMPERATURE_LOG,
        content=files.TEMPERATURE_CSV,
        filename="logger.csv",
        actor=coordinator,
    )
    assert document.content_type == "text/csv"
    assert b"23.1" in document.file.open("rb").read()


def test_a_new_upload_of_the_same_kind_supersedes_the_old_one(draft_case, physician):
    first = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf("v1"),
        filename="a.pdf",
        actor=physician.user,
    )
    second = document_upload(
        case=draft_case,
        kind=K.PRESCRIPTION,
        content=files.pdf("v2"),
        filename="b.pdf",
        actor=physician.user,
    )

    assert (second.version, second.supersedes) == (2, first)
    assert list(Document.objects.filter(case=draft_case).current()) == [second]
    assert Document.objects.filter(case=draft_case).count() == 2


@pytest.mark.parametrize(
    ("who", "kind", "allowed"),
    [
        ("coordinator", K.BILL_OF_ENTRY, True),
        ("coordinator", K.PRESCRIPTION, True),
        ("physician", K.PRESCRIPTION, True),
        ("physician", K.MEDICAL_REPORT, True),
        ("physician", K.PHYSICIAN_UNDERTAKING, True),
        ("physician", K.PATIENT_CONSENT, False),
        ("physician", K.IMPORT_PERMIT, False),
        ("patient", K.PATIENT_IDENTITY, True),
        ("patient", K.PATIENT_CONSENT, True),
        ("patient", K.PRESCRIPTION, False),
        ("other_physician", K.PRESCRIPTION, False),
        ("other_patient", K.PATIENT_IDENTITY, False),
    ],
)
def test_who_may_upload_what(request, draft_case, who, kind, allowed):
    persona = request.getfixturevalue(who)
    user = getattr(persona, "user", persona)

    if allowed:
        document = document_upload(
            case=draft_case, kind=kind, content=files.pdf(), filename="x.pdf", actor=user
        )
        assert document.uploaded_by == user
    else:
        with pytest.raises(PermissionDenied):
            document_upload(
                case=draft_case, kind=kind, content=files.pdf(), filename="x.pdf", actor=user
            )
        assert Document.objects.count() == 0


def test_documents_of_a_closed_case_can_no_longer_change(case_in, coordinator):
    case = case_in("closed")
    count = Document.objects.filter(case=case).count()
    with pytest.raises(Exception, match="closed"):
        document_upload(
            case=case, kind=K.OTHER, content=files.pdf(), filename="late.pdf", actor=coordinator
        )
    assert Document.objects.filter(case=case).count() == count


# --- Through HTTP: the streaming limit and the outsider rule ---------------------


def post_upload(client, case, content: bytes, name: str = "rx.pdf", kind=K.PRESCRIPTION):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("documents:upload", args=[case.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_an_upload_over_the_limit_is_cut_off_while_streaming(
    client, draft_case, physician, settings
):
    settings.NPP_UPLOAD_MAX_BYTES = 4096
    client.force_login(physician.user)
    temp_before = temp_uploads()

    response = post_upload(client, draft_case, files.pdf() + b"%" * 10_000)

    assert response.status_code == 413, response.json()
    assert "limit" in response.json()["error"]
    assert Document.objects.count() == 0
    assert stored_files(settings) == []
    assert temp_uploads() == temp_before


def test_an_upload_through_http_is_stored(client, draft_case, physician):
    client.force_login(physician.user)
    response = post_upload(client, draft_case, files.pdf())
    assert response.status_code == 201
    assert Document.objects.get(pk=response.json()["id"]).case == draft_case


def test_an_outsider_uploading_to_a_case_gets_404(client, draft_case, other_physician):
    client.force_login(other_physician.user)
    response = post_upload(client, draft_case, files.pdf())
    assert response.status_code == 404
    assert Document.objects.count() == 0


def test_a_refused_upload_through_http_gets_its_message(client, draft_case, physician):
    client.force_login(physician.user)
    response = post_upload(client, draft_case, files.WINDOWS_EXE)
    assert response.status_code == 400
    assert "not an accepted type" in response.json()["error"]
