"""Every way a file reaches a case, driven as a person would: the page's form posted
by the Django test client as the role that uses it, and the stored copy taken back
through the download view. Used by the tests that prove what an upload keeps.

    stored = upload_through("patient-upload", content, "id.jpg", people)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from documents.models import Document, DocumentKind
from orders.models import ImportCase, Product
from orders.services import case_transition
from tests.conftest import PASSWORD

K = DocumentKind

# The page forms (and the JSON endpoint) that take a PDF, JPEG or PNG.
ENDPOINTS = (
    "physician-new-request",
    "physician-upload",
    "physician-answer",
    "physician-sign",
    "patient-upload",
    "coordinator-upload",
    "documents-api",
)
# One per role, for the tests that repeat a file over many variants.
ONE_PER_ROLE = ("physician-upload", "patient-upload", "coordinator-upload")


@dataclass(frozen=True)
class People:
    """The personas and the walk (conftest's case_in) an upload needs."""

    physician: object
    patient: object
    coordinator: object
    case_in: object


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _newest(case: ImportCase | None = None) -> Document:
    documents = Document.objects.filter(generated=False)
    if case is not None:
        documents = documents.filter(case=case)
    return documents.latest("pk")


def _posted(response, *expected: int) -> None:
    assert response.status_code in expected, (
        f"the upload was refused ({response.status_code}): {response.content[:2000]!r}"
    )


def upload_through(endpoint: str, content: bytes, name: str, people: People) -> Document:
    """Upload `content` named `name` through `endpoint` as the role that uses it, and
    return the document it stored."""
    physician, patient, coordinator = people.physician, people.patient, people.coordinator
    if endpoint == "physician-new-request":
        client = signed_in(physician.user)
        before = set(ImportCase.objects.values_list("pk", flat=True))
        response = client.post(
            reverse("orders:physician-case-new"),
            {
                "patient_choice": "existing",
                "patient": patient.pk,
                "product": Product.objects.get(brand_name="Lupkynis").pk,
                "prescribed_dose": "23.7 mg (3 capsules) twice daily",
                "daily_units": "6",
                "quantity_packs": "3",
                "treatment_days": "90",
                "justification": "Lupus nephritis class IV, refractory to standard care.",
                "action": "draft",
                "prescription": _file(content, name),
            },
        )
        _posted(response, 302)
        case = ImportCase.objects.exclude(pk__in=before).get()
        return _newest(case)
    if endpoint == "physician-upload":
        case = people.case_in("draft")
        response = signed_in(physician.user).post(
            reverse("orders:physician-case-upload", args=[case.pk]),
            {"kind": K.PRESCRIPTION, "file": _file(content, name)},
        )
        _posted(response, 302)
        return _newest(case)
    if endpoint == "physician-answer":
        case = case_transition(
            case=people.case_in("submitted"),
            actor=coordinator,
            transition="request_information",
            note="Please send the latest eGFR report.",
        )
        response = signed_in(physician.user).post(
            reverse("orders:physician-case-answer", args=[case.pk]),
            {"answer": "Attached.", "kind": K.MEDICAL_REPORT, "file": _file(content, name)},
        )
        _posted(response, 302)
        return _newest(case)
    if endpoint == "physician-sign":
        case = people.case_in("forms_preparation")
        response = signed_in(physician.user).post(
            reverse("orders:physician-case-sign", args=[case.pk]),
            {
                "scan-undertaking": _file(content, name),
                "scan-printed_name": physician.full_name,
                "scan-password": PASSWORD,
                "scan-confirm": "on",
            },
        )
        _posted(response, 302)
        return _newest(case)
    if endpoint == "patient-upload":
        case = people.case_in("forms_preparation")
        response = signed_in(patient.user).post(
            reverse("orders:patient-case-upload", args=[case.pk]),
            {"kind": K.PATIENT_IDENTITY, "file": _file(content, name)},
        )
        _posted(response, 302)
        return _newest(case)
    if endpoint == "coordinator-upload":
        case = people.case_in("submitted")
        response = signed_in(coordinator).post(
            reverse("orders:coordinator-upload", args=[case.pk]),
            {"upload-kind": K.OTHER, "upload-file": _file(content, name)},
        )
        _posted(response, 302)
        return _newest(case)
    if endpoint == "documents-api":
        case = people.case_in("draft")
        response = signed_in(physician.user).post(
            reverse("documents:upload", args=[case.pk]),
            {"kind": K.MEDICAL_REPORT, "file": _file(content, name)},
        )
        _posted(response, 201)
        return Document.objects.get(pk=response.json()["id"])
    raise ValueError(f"no such endpoint: {endpoint}")


def uploader(endpoint: str, people: People):
    if endpoint.startswith("patient"):
        return people.patient.user
    if endpoint.startswith("coordinator"):
        return people.coordinator
    return people.physician.user


def download(document: Document, user) -> bytes:
    """The stored copy, as the download view serves it to `user`."""
    response = signed_in(user).get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)
