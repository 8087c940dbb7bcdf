"""Papers are functions of the case: a change to what a paper is made from (a document
accepted, replaced or signed, an edited request or application, a delivery) renders a
new version that supersedes the last, through the idempotent render jobs; outside its
state a paper stays what was sent; the pack filed with the regulator is named by the
filing's event and stays downloadable after later versions."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from documents.generation import jobs, requests
from documents.generation.jobs import render_job_run, render_pending
from documents.generation.papers import render_document_pdf
from documents.generation.requests import refresh_papers, request_render, retry_failed
from documents.models import Document, DocumentKind, RenderJob, RenderStatus, SignatureMeaning
from documents.pdf_minimal import minimal_pdf
from documents.services import document_review, document_store
from documents.signatures import document_sign
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition, case_update_application, case_update_request
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD
from tests.documents.test_rendering import pdf_pages, pdf_text

K = DocumentKind
S = CaseStatus


@pytest.fixture
def worker(monkeypatch, settings, django_capture_on_commit_callbacks):
    """Runs what follows a commit as the deployed system does (the case-event handler
    that renders, the document-change handler), with the render task's queue in a list
    the test then works off, as a worker would: `worker(change)` makes the change and
    returns the pack versions rendered because of it."""
    settings.NPP_CASE_EVENT_HANDLERS = ["documents.generation.requests.render_on_entry"]
    queued: list[int] = []
    monkeypatch.setattr(
        requests.render_document, "apply_async", lambda args, **options: queued.append(args[0])
    )

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            result = change()
        while queued:
            render_job_run(queued.pop(0))
        return result

    return run


def current(case: ImportCase, kind: str = K.REGULATORY_APPLICATION) -> Document:
    return Document.objects.get(case=case, kind=kind, superseded_by__isnull=True)


def content(document: Document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def checklist(case: ImportCase) -> str:
    """The pack's last page as a reader extracts it from the stored PDF."""
    return pdf_pages(content(current(case)))[-1]


def row(text: str, item: str) -> str:
    """The checklist's row for `item`: from its name to the next row's number."""
    start = text.index(item)
    following = [text.find(f" {n} ", start) for n in range(2, 12)]
    ends = [end for end in following if end > start]
    return text[start : min(ends) if ends else len(text)]


def upload(case, kind, actor):
    return document_store(
        case=case,
        kind=kind,
        content=minimal_pdf(f"{kind} of {case.reference}"),
        content_type="application/pdf",
        original_filename=f"{kind}.pdf",
        actor=actor,
    )


def test_every_input_of_the_pack_renders_a_new_version_and_the_filed_one_stays(
    case_in, coordinator, worker, client
):
    case = case_in(S.FORMS_PREPARATION)
    patient, physician = case.patient.user, case.physician.user
    worker(lambda: refresh_papers(case))
    assert current(case).version == 1
    assert "Patient identity document Upload, accepted by the coordinator Not yet on file" in (
        checklist(case)
    )

    # The patient's identity document arrives, then is accepted.
    identity = worker(lambda: upload(case, K.PATIENT_IDENTITY, patient))
    assert current(case).version == 2
    assert "Version 1, pending review" in row(checklist(case), "Patient identity document")
    worker(lambda: document_review(document=identity, actor=coordinator, accept=True))
    assert current(case).version == 3
    assert "Version 1, accepted" in row(checklist(case), "Patient identity document")

    # The physician's undertaking is added, then signed electronically.
    undertaking = worker(lambda: upload(case, K.PHYSICIAN_UNDERTAKING, physician))
    assert current(case).version == 4
    worker(
        lambda: document_sign(
            document=undertaking,
            signer=physician,
            password=PASSWORD,
            printed_name="Anil Rao",
            meaning=SignatureMeaning.AUTHORSHIP,
        )
    )
    assert current(case).version == 5
    signed = row(checklist(case), "Physician's undertaking")
    # Version 2: the one the system generated on entering preparation is version 1.
    assert "Version 2, accepted; signed electronically by Anil Rao on" in signed

    # The patient's consent, accepted.
    consent = worker(lambda: upload(case, K.PATIENT_CONSENT, patient))
    worker(lambda: document_review(document=consent, actor=coordinator, accept=True))
    assert current(case).version == 7
    # A scan signed on paper: version 2 after the generated one.
    assert "Version 2, accepted" in row(checklist(case), "Patient's consent and declaration")

    # The identity document replaced by a new version, waiting for review again.
    worker(lambda: upload(case, K.PATIENT_IDENTITY, patient))
    assert current(case).version == 8
    assert "Version 2, pending review" in row(checklist(case), "Patient identity document")
    worker(
        lambda: document_review(
            document=current(case, K.PATIENT_IDENTITY), actor=coordinator, accept=True
        )
    )
    assert current(case).version == 9

    # The coordinator changes the port of entry on the application.
    worker(lambda: case_update_application(case=case, actor=coordinator, port_of_entry="INMAA4"))
    assert current(case).version == 10
    assert "INMAA4" in pdf_text(content(current(case)))

    # Asking again with nothing changed renders nothing: the same data, the same job.
    jobs = RenderJob.objects.filter(case=case).count()
    worker(lambda: refresh_papers(case))
    assert RenderJob.objects.filter(case=case).count() == jobs
    assert current(case).version == 10

    # Filing: the event records the exact pack the regulator received.
    filed = current(case)
    case = worker(
        lambda: case_transition(
            case=ImportCase.objects.get(pk=case.pk),
            actor=coordinator,
            transition="file_application",
            data={"regulator_reference": "SUGAM/12A/000777"},
        )
    )
    event = CaseEvent.objects.get(case=case, transition="file_application")
    assert event.data["filed_pack"] == {
        "document_id": filed.pk,
        "version": 10,
        "sha256": filed.sha256,
    }
    assert hashlib.sha256(content(filed)).hexdigest() == filed.sha256
    # Once filed, the pack no longer follows the documents: it is what was sent.
    worker(lambda: upload(case, K.MEDICAL_REPORT, coordinator))
    assert current(case) == filed

    # The regulator asks a question; the physician edits the request and resubmits:
    # verified again, the case is back in preparation with a new pack.
    case = worker(
        lambda: case_transition(
            case=case,
            actor=coordinator,
            transition="request_information",
            note="Please confirm the quantity.",
        )
    )
    worker(lambda: case_update_request(case=case, actor=physician, quantity_packs=2))
    assert current(case) == filed  # not while the case is with the physician
    case = worker(
        lambda: case_transition(
            case=ImportCase.objects.get(pk=case.pk),
            actor=physician,
            transition="resubmit",
            note="Two packs.",
        )
    )
    case = worker(
        lambda: case_transition(
            case=case,
            actor=coordinator,
            transition="verify",
            data=demo.verification_data(case, port_of_entry="INMAA4"),
        )
    )
    newer = current(case)
    assert newer.version == 11
    assert newer.supersedes == filed
    assert "2 packs" in pdf_text(content(newer))

    # The filed version is still the one the event names, and still downloadable.
    event.refresh_from_db()
    assert event.data["filed_pack"]["document_id"] == filed.pk
    client.force_login(coordinator)
    response = client.get(reverse("documents:download", args=[filed.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == filed.sha256


def test_the_case_record_names_the_filed_pack(case_in, coordinator):
    case = case_in(S.CLOSED)
    filed = CaseEvent.objects.get(case=case, transition="file_application").data["filed_pack"]

    text = pdf_text(render_document_pdf(case, K.CASE_RECORD)[0])

    assert f"Regulatory application pack version {filed['version']} filed" in text
    assert filed["sha256"] in text.replace(" ", "")
    assert "filed with the regulator" in text


def test_the_patient_sheet_follows_the_delivery(case_in, coordinator, worker):
    case = case_in(S.OUT_FOR_DELIVERY)
    worker(lambda: refresh_papers(case))
    sheet = current(case, K.PATIENT_INFORMATION)

    case = worker(
        lambda: case_transition(
            case=ImportCase.objects.get(pk=case.pk),
            actor=case.patient.user,
            transition="confirm_delivery",
        )
    )

    newer = current(case, K.PATIENT_INFORMATION)
    assert newer.version == sheet.version + 1
    assert newer.supersedes == sheet
    assert "Priya Menon" in pdf_text(content(newer)).split("Received by")[-1]


def test_a_move_of_the_case_alone_renders_no_new_version(case_in, coordinator, worker):
    case = case_in(S.SUPPLIER_ORDERING)
    worker(lambda: refresh_papers(case))
    order = current(case, K.PURCHASE_ORDER)

    case = worker(
        lambda: case_transition(
            case=case, actor=coordinator, transition="hold", note="Waiting for funds."
        )
    )
    case = worker(
        lambda: case_transition(case=case, actor=coordinator, transition="resume", note="Funded.")
    )

    assert current(case, K.PURCHASE_ORDER) == order


def test_a_closed_case_has_no_papers_to_refresh(case_in, coordinator):
    case = case_in(S.CLOSED)

    assert refresh_papers(case) == []


def test_a_pack_with_nothing_signed_says_so_and_the_store_does_not_render_it_twice(
    case_in, coordinator, worker
):
    case = case_in(S.FORMS_PREPARATION)
    worker(lambda: refresh_papers(case))
    generated = current(case)

    # Storing the rendered pack does not ask for the pack again (no render loop).
    assert RenderJob.objects.filter(case=case, kind=K.REGULATORY_APPLICATION).count() == 1
    assert generated.generated is True
    assert "signed electronically" not in checklist(case)


def test_a_job_whose_data_has_a_newer_job_is_outdated_not_rendered(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    older = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    upload(case, K.PATIENT_IDENTITY, case.patient.user)
    newer = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    ran = render_pending(case)

    assert [job.pk for job in ran] == [older.pk, newer.pk]
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.status == RenderStatus.OUTDATED and older.document is None
    assert "newer rendering replaces it" in older.last_error
    assert newer.status == RenderStatus.READY
    assert current(case) == newer.document  # one version for the burst, not two


def test_a_job_caught_by_the_closing_is_outdated_and_cannot_be_rerun(case_in, coordinator, client):
    case = case_in(S.DELIVERED)
    job = request_render(case=case, kind=K.PATIENT_INFORMATION, actor=coordinator)
    case = case_transition(case=case, actor=coordinator, transition="close")

    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.OUTDATED
    assert f"{case.reference} closed before this rendering ran" in job.last_error
    RenderJob.objects.filter(pk=job.pk).update(status=RenderStatus.FAILED)
    with pytest.raises(DomainError, match="is closed"):
        retry_failed(job, coordinator)
    client.force_login(coordinator)
    page = client.get(reverse("orders:coordinator-case", args=[case.pk])).content.decode()
    assert "Patient information sheet and delivery note" in page
    assert "Re-run" not in page


@pytest.mark.parametrize("skew", [dt.timedelta(seconds=30), dt.timedelta(seconds=-30)])
def test_the_closing_and_a_jobs_request_are_compared_on_one_clock(case_in, coordinator, skew):
    """The application's clock may be ahead of or behind the database's (another
    host, or SQLite's milliseconds): a job asked for before the closing is outdated by
    it either way, and the sweep does not take a paper requested right after an event
    for one never requested."""
    case = case_in(S.DELIVERED)
    with time_machine.travel(timezone.now() + skew, tick=True):
        job = request_render(case=case, kind=K.PATIENT_INFORMATION, actor=coordinator)
        case = case_transition(case=case, actor=coordinator, transition="close")
        closed = CaseEvent.objects.get(case=case, transition="close")
        requests.render_on_entry(closed)  # the handler, after the closing's commit
        render_job_run(job.pk)

    job.refresh_from_db()
    assert job.created_at <= closed.created_at
    assert job.status == RenderStatus.OUTDATED
    assert f"{case.reference} closed before this rendering ran" in job.last_error
    # The closing's own paper (the case record), requested after it, is not missing.
    later = closed.created_at + jobs.MISSING_RENDER_GRACE * 2
    assert closed not in jobs.missing_renders(now=later)
