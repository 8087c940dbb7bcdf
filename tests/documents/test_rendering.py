"""Generated PDFs: each shows the case's real data, the pack follows its pathway, a
render job is idempotent and recoverable, and rendering fetches nothing from outside."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import gc
import http.server
import io
import signal
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.template import TemplateDoesNotExist
from pypdf import PdfReader
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from documents.generation import case_record, formatting, jobs, papers, requests
from documents.generation.formatting import monitoring_sentences
from documents.generation.jobs import render_job_run
from documents.generation.papers import data_version, render_document_pdf
from documents.generation.requests import render_on_entry, request_render, retry_failed
from documents.models import Document, DocumentKind, RenderJob, RenderStatus, ReviewStatus
from documents.rendering import (
    BASE_URL,
    Deadline,
    RefusedURL,
    RenderTimeout,
    _Expired,
    font_config,
    render_pdf,
    safe_fetcher,
)
from documents.tasks import render_document
from orders import form_fields
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase, Product, Shipment, Supplier
from orders.services import system_user
from orders.states import CaseStatus
from orders.timeline import event_title
from tests.conftest import new_case

K = DocumentKind
S = CaseStatus


def pdf_pages(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (a table cell may wrap anywhere)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return " ".join(pdf_pages(pdf))


# --- What each document shows ---------------------------------------------------------


def test_the_application_pack_shows_the_patient_drug_quantity_and_prescriber(case_in):
    case = case_in(S.FORMS_PREPARATION)

    pdf, _ = render_document_pdf(case, K.REGULATORY_APPLICATION)

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    for fact in (
        "Priya Menon",
        "12 MG Road",
        "Teacher",
        "Lupkynis",
        "voclosporin",
        "7.9 mg",
        "3 packs of 180",
        "540 capsules",
        "Bengaluru (BLR) Air Cargo Complex (customs station INBLR4)",
        "Canada; Aurinia Pharmaceuticals Inc. (manufacturer)",
        "NMC-123456",
        "Dr Anil Rao",
        "FDA",
        "23.7 mg (3 capsules) twice daily",
        "90 days",
        case.reference,
    ):
        assert fact in text, fact


def test_every_required_field_of_each_pack_form_shows_the_cases_value(case_in):
    case = case_in(S.FORMS_PREPARATION)
    pages = pdf_pages(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])

    checked = 0
    for form, page in zip(case.pathway.forms, pages, strict=True):
        for name in form_fields.required_for(case, form):
            value = " ".join(form_fields.text_of(case, name).split())
            assert value, f"{name} of {form} is blank in the test case"
            assert value in page, f"{form}: {name} {value!r} not on its page"
            checked += 1
    assert checked >= 20
    for name in form_fields.required_for(case, "form_12a"):
        assert name in form_fields.FIELDS


def test_form_12a_names_the_source_once_with_one_full_stop(case_in):
    case = case_in(S.FORMS_PREPARATION)

    form_12a = pdf_pages(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])[0]

    assert "for personal use from Aurinia Pharmaceuticals Inc., Canada. I attach" in form_12a
    assert "Inc.." not in form_12a
    assert "—" not in form_12a
    assert "not stated" not in form_12a


def test_the_pack_has_one_section_per_pathway_form_each_starting_a_page(case_in):
    case = case_in(S.FORMS_PREPARATION)

    pages = pdf_pages(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])

    starts = [
        ("form_12a", "FORM 12A"),
        ("justification_letter", "Justification for the import"),
        ("physician_undertaking", "Undertaking by the prescribing practitioner"),
        ("patient_consent", "Patient's consent and declaration"),
        ("attachments_checklist", "Checklist of attachments"),
    ]
    assert case.pathway.forms == [key for key, _ in starts]
    assert len(pages) == len(starts)
    for page, (_, heading) in zip(pages, starts, strict=True):
        assert heading in page
    assert "Page 1 of 5" in pages[0]
    assert "Page 5 of 5" in pages[4]


def test_the_pack_changes_when_the_pathway_lists_other_forms(case_in):
    case = case_in(S.FORMS_PREPARATION)
    before = data_version(case, K.REGULATORY_APPLICATION)
    case.pathway.forms = ["patient_consent", "form_12a"]
    case.pathway.save()

    pages = pdf_pages(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])

    assert len(pages) == 2
    assert "Patient's consent and declaration" in pages[0]
    assert "FORM 12A" in pages[1]
    assert "Justification" not in " ".join(pages)
    assert "Checklist of attachments" not in " ".join(pages)
    assert data_version(case, K.REGULATORY_APPLICATION) != before


def test_a_form_without_a_template_fails_the_render_naming_it(case_in):
    case = case_in(S.FORMS_PREPARATION)
    case.pathway.forms = ["form_12a", "form_3926"]
    case.pathway.save()

    with pytest.raises(TemplateDoesNotExist, match="_pack_form_3926"):
        render_document_pdf(case, K.REGULATORY_APPLICATION)


def test_a_form_key_that_is_not_a_plain_name_is_refused(case_in):
    case = case_in(S.FORMS_PREPARATION)
    case.pathway.forms = ["../../base"]
    case.pathway.save()

    with pytest.raises(DomainError, match="invalid form key"):
        render_document_pdf(case, K.REGULATORY_APPLICATION)


def test_the_checklist_lists_the_required_documents_with_what_is_on_file(case_in):
    case = case_in(S.FORMS_PREPARATION)

    checklist = pdf_pages(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])[-1]

    assert "Prescription" in checklist
    assert "Version 1, accepted" in checklist  # the prescription verified before
    assert "Patient identity document" in checklist
    assert checklist.count("Physician's undertaking") == 1  # a section and a required upload


def test_the_purchase_order_shows_the_permit_the_quantity_and_the_cold_chain(case_in):
    case = case_in(S.SUPPLIER_ORDERING)

    text = pdf_text(render_document_pdf(case, K.PURCHASE_ORDER)[0])

    for fact in (
        f"PO-{case.reference}",
        case.permit_number,
        "Form 12B",
        formatting.format_date(case.permit_valid_until),
        "Lupkynis",
        "voclosporin",
        "7.9 mg",
        "180 capsules",
        "540",
        "Aurinia Pharmaceuticals Inc.",
        "Priya Menon",
        "12 MG Road",
        "NMC-123456",
        "between 20 and 25 °C",
        "between 15 and 30 °C",
        "original container",
    ):
        assert fact in text, fact


def test_the_patient_sheet_explains_the_medicine_and_notes_the_delivered_lot(case_in, settings):
    settings.NPP_SERVICE_PHONE = "+91 80 1111 2222"
    case = case_in(S.OUT_FOR_DELIVERY)
    shipment = case.current_shipment

    pages = pdf_pages(render_document_pdf(case, K.PATIENT_INFORMATION)[0])
    text = " ".join(pages)

    for fact in (
        "Priya Menon",
        "Lupkynis",
        "voclosporin",
        "7.9 mg",
        "23.7 mg (3 capsules) twice daily",
        "Swallow the capsules whole on an empty stomach",
        "within 4 hours",
        "Never take a double dose",
        "grapefruit",
        "ketoconazole, itraconazole, clarithromycin",
        "Store between 20 and 25 °C",
        "eGFR: every 2 weeks for the first month, then every month.",
        "Blood pressure: every 2 weeks for the first month.",
        "+91 80 1111 2222",
        "Dr Anil Rao",
    ):
        assert fact in text, fact
    delivery_note = pages[-1]
    assert "Delivery note" in delivery_note
    assert shipment.batch_number in delivery_note
    assert formatting.format_date(shipment.expiry_date) in delivery_note
    assert "3 packs" in delivery_note


def test_the_case_record_lists_every_event_and_every_document_with_its_hash(case_in):
    case = case_in(S.CLOSED)

    text = pdf_text(render_document_pdf(case, K.CASE_RECORD)[0])

    for event in CaseEvent.objects.filter(case=case):
        assert event_title(event) in text, event.transition
    assert "Treatment started; case complete." in text
    documents = list(case.documents.all())
    assert documents
    for document in documents:
        # 64 hex characters wrap inside the narrow column: look for both halves.
        assert document.sha256[:32] in text.replace(" ", "")
        assert document.sha256[32:] in text.replace(" ", "")
    assert "Priya Menon" in text
    assert "NMC-123456" in text
    assert case.permit_number in text
    assert case.current_shipment.batch_number in text


def test_nothing_about_the_reference_product_is_written_into_the_templates(
    physician, patient, case_in, coordinator
):
    other = Product.objects.create(
        brand_name="Zentavir",
        generic_name="zentaprazine",
        manufacturer="Nordfarma AB",
        strength="5 mg",
        dosage_form="tablet",
        units_per_pack=30,
        standard_daily_units=1,
        indication="Zentavir treats refractory nodular disease in adults.",
        side_effects=[
            {"signs": "Yellowing of the skin or eyes", "urgency": "same_day"},
            {"signs": "Mild nausea", "urgency": "routine"},
        ],
        dosing="5 mg once daily.",
        administration="Take with water, with or without food.",
        missed_dose="Take it as soon as you remember the same day.",
        avoid="Avoid alcohol.",
        storage_min_c=Decimal("2"),
        storage_max_c=Decimal("8"),
        excursion_min_c=Decimal("0"),
        excursion_max_c=Decimal("12"),
        storage_notes="Keep in a refrigerator.",
        contraindicated_comedications=["rifampicin"],
        monitoring_schedule=[{"test": "Liver tests", "every_days": 28, "from_day": 0}],
        approved_in=[{"country": "SE", "regulator": "EMA"}],
    )
    case = new_case(
        physician=physician,
        patient=patient,
        product=other,
        prescribed_dose="5 mg once daily",
        daily_units=1,
        quantity_packs=3,
        treatment_days=90,
        justification="Refractory disease; no approved alternative.",
    )
    # What the patient sheet's delivery note needs, from its own supplier.
    nordfarma = Supplier.objects.create(name="Nordfarma AB", country="SE", kind="manufacturer")
    Shipment.objects.create(
        case=case,
        supplier=nordfarma,
        batch_number="NF-2231",
        expiry_date=dt.date(2030, 1, 31),
        quantity_packs=3,
    )
    ImportCase.objects.filter(pk=case.pk).update(
        permit_number="12B/77/2026", bill_of_entry_number="BE7700001"
    )
    case.refresh_from_db()

    texts = {
        kind: pdf_text(render_document_pdf(case, kind)[0])
        for kind in (K.REGULATORY_APPLICATION, K.PURCHASE_ORDER, K.PATIENT_INFORMATION)
    }

    for kind, text in texts.items():
        assert "Zentavir" in text, kind
        assert "zentaprazine" in text, kind
        for reference_fact in ("Lupkynis", "voclosporin", "Aurinia", "grapefruit", "FDA"):
            assert reference_fact not in text, (kind, reference_fact)
    assert "EMA (Sweden)" in texts[K.REGULATORY_APPLICATION]
    assert "between 2 and 8 °C" in texts[K.PURCHASE_ORDER]
    assert "Liver tests: every 4 weeks." in texts[K.PATIENT_INFORMATION]
    assert "Zentavir treats refractory nodular disease in adults." in texts[K.PATIENT_INFORMATION]
    assert "Yellowing of the skin or eyes" in texts[K.PATIENT_INFORMATION]
    assert "rifampicin" in texts[K.PATIENT_INFORMATION]


def test_the_monitoring_schedule_reads_as_sentences():
    schedule = [
        {"test": "eGFR", "every_days": 14, "from_day": 0, "until_day": 30},
        {"test": "eGFR", "every_days": 30, "from_day": 30},
        {"test": "Blood pressure", "every_days": 14, "from_day": 0, "until_day": 30},
        {"test": "Potassium", "every_days": 7, "from_day": 0, "until_day": 60},
        {"test": "Lipids", "every_days": 90, "from_day": 30},
    ]

    assert monitoring_sentences(schedule) == [
        "eGFR: every 2 weeks for the first month, then every month.",
        "Blood pressure: every 2 weeks for the first month.",
        "Potassium: every week for the first 2 months.",
        "Lipids: every 3 months from the end of the first month.",
    ]


def test_patient_text_is_escaped_not_interpreted(case_in):
    case = case_in(S.FORMS_PREPARATION)
    patient = case.patient
    patient.occupation = '<b>Engineer</b><img src="http://127.0.0.1:9/x.png">'
    patient.save()

    text = pdf_text(render_document_pdf(case, K.REGULATORY_APPLICATION)[0])

    assert '<b>Engineer</b><img src="http://127.0.0.1:9/x.png">' in text


# --- Data version ------------------------------------------------------------------------


def test_the_same_data_gives_the_same_version_and_changed_data_a_new_one(case_in):
    case = case_in(S.FORMS_PREPARATION)
    first = data_version(case, K.REGULATORY_APPLICATION)

    assert data_version(case, K.REGULATORY_APPLICATION) == first
    assert len(first) == 64
    case.patient.occupation = "Headteacher"
    case.patient.save()
    assert data_version(case, K.REGULATORY_APPLICATION) != first


def test_each_kind_has_its_own_version_of_the_same_case(case_in):
    case = case_in(S.OUT_FOR_DELIVERY)

    versions = {}
    for kind in papers.GENERATED_KINDS:
        try:
            versions[kind] = data_version(case, kind)
        except DomainError:
            # A paper of what has not happened yet (no tax invoice before delivery, no
            # credit note without a refund) has no data to version.
            assert kind in (K.TAX_INVOICE, K.CREDIT_NOTE), kind

    assert len(versions) == len(papers.GENERATED_KINDS) - 2
    assert len(set(versions.values())) == len(versions)


# --- Render jobs ---------------------------------------------------------------------------


def test_requesting_a_render_records_a_pending_job_and_enqueues_it_on_commit(
    case_in, coordinator, django_capture_on_commit_callbacks
):
    case = case_in(S.FORMS_PREPARATION)

    with django_capture_on_commit_callbacks() as callbacks:
        job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    assert job.status == RenderStatus.PENDING
    assert job.data_version == data_version(case, K.REGULATORY_APPLICATION)
    assert job.requested_by == coordinator
    assert len(callbacks) == 1


def test_requesting_the_same_data_twice_finds_the_same_job(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)

    first = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    second = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    assert first.pk == second.pk
    assert RenderJob.objects.filter(case=case).count() == 1


def test_a_job_already_rendered_is_not_enqueued_again(
    case_in, coordinator, django_capture_on_commit_callbacks
):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    render_job_run(job.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        again = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    assert again.pk == job.pk
    assert callbacks == []


def test_running_a_job_stores_one_generated_accepted_document(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert job.attempts == 1
    assert job.lease_until is None
    document = job.document
    assert document.kind == K.REGULATORY_APPLICATION
    assert document.generated is True
    assert document.review_status == ReviewStatus.ACCEPTED
    assert document.uploaded_by == system_user()
    assert document.content_type == "application/pdf"
    with document.file.open("rb") as stored:
        content = stored.read()
    assert "Priya Menon" in pdf_text(content)


def test_running_the_same_job_twice_yields_one_document(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    render_job_run(job.pk)
    render_job_run(job.pk)

    assert Document.objects.filter(case=case, kind=K.REGULATORY_APPLICATION).count() == 1
    job.refresh_from_db()
    assert job.attempts == 1


def test_changed_data_renders_a_new_version_that_supersedes_the_first(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    first = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    render_job_run(first.pk)
    case.patient.occupation = "Headteacher"
    case.patient.save()

    second = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    render_job_run(second.pk)

    assert second.pk != first.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.document.version, second.document.version) == (1, 2)
    assert second.document.supersedes == first.document
    assert list(case.documents.current().filter(kind=K.REGULATORY_APPLICATION)) == [second.document]


def test_a_job_held_by_a_live_worker_is_left_alone(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    assert jobs.claim(job.pk)

    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.RUNNING
    assert job.attempts == 1
    assert not Document.objects.filter(case=case, kind=K.REGULATORY_APPLICATION).exists()


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    long_ago = job.created_at - jobs.render_lease() * 2
    assert jobs.claim(job.pk, now=long_ago)  # its lease ran out long ago

    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert job.attempts == 2


def test_a_failing_render_records_the_error_and_raises_for_the_retry(
    case_in, coordinator, monkeypatch
):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    def broken(*args, **kwargs):
        raise RuntimeError("the font cache is corrupt")

    monkeypatch.setattr(papers, "render_pdf", broken)

    with pytest.raises(RuntimeError):
        render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.FAILED
    assert job.last_error == "RuntimeError: the font cache is corrupt"
    assert job.attempts == 1
    assert job.lease_until is None
    assert not Document.objects.filter(case=case, kind=K.REGULATORY_APPLICATION).exists()


def test_a_failed_job_runs_again_on_the_next_delivery(case_in, coordinator, monkeypatch):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    with monkeypatch.context() as patch:
        patch.setattr(papers, "render_pdf", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            render_job_run(job.pk)

    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert job.attempts == 2
    assert job.last_error == ""


def test_a_coordinator_retries_a_failed_job(
    case_in, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    with monkeypatch.context() as patch:
        patch.setattr(papers, "render_pdf", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            render_job_run(job.pk)

    with django_capture_on_commit_callbacks() as callbacks:
        retried = retry_failed(job, coordinator)

    assert retried.status == RenderStatus.PENDING
    assert len(callbacks) == 1
    render_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == RenderStatus.READY


def test_only_a_coordinator_retries_and_only_a_failed_job(case_in, coordinator, physician):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)

    with pytest.raises(PermissionDenied):
        retry_failed(job, physician.user)
    with pytest.raises(DomainError, match="Only a failed rendering"):
        retry_failed(job, coordinator)


def test_the_case_record_of_a_closed_case_is_stored(case_in, coordinator):
    case = case_in(S.CLOSED)
    close = CaseEvent.objects.get(case=case, transition="close")

    job = render_on_entry(close)
    render_job_run(job.pk)

    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert job.document.kind == K.CASE_RECORD


def test_the_sweep_finds_jobs_never_delivered_or_abandoned(case_in, coordinator):
    case = case_in(S.FORMS_PREPARATION)
    job = request_render(case=case, kind=K.REGULATORY_APPLICATION, actor=coordinator)
    later = job.updated_at + jobs.stale_pending_after() * 2

    assert jobs.stale_render_jobs(now=job.updated_at) == []
    assert jobs.stale_render_jobs(now=later) == [job.pk]
    render_job_run(job.pk)
    assert jobs.stale_render_jobs(now=later) == []


# --- What each transition asks for ------------------------------------------------------------


@pytest.mark.parametrize(
    ("transition", "kind"),
    [
        ("verify", K.REGULATORY_APPLICATION),
        ("record_permit", K.PURCHASE_ORDER),
        ("clear_customs", K.PATIENT_INFORMATION),
        ("close", K.CASE_RECORD),
    ],
)
def test_entering_a_state_requests_its_document_on_commit(
    case_in, transition, kind, django_capture_on_commit_callbacks
):
    case = case_in(S.CLOSED)
    event = CaseEvent.objects.get(case=case, transition=transition)

    with django_capture_on_commit_callbacks() as callbacks:
        job = render_on_entry(event)

    assert job.kind == kind
    assert job.case == case
    assert job.requested_by == event.actor
    assert job.status == RenderStatus.PENDING
    assert len(callbacks) == 1


def test_entering_forms_preparation_makes_the_undertaking_and_the_consent(case_in):
    case = case_in(S.FORMS_PREPARATION)
    RenderJob.objects.filter(case=case).delete()
    event = CaseEvent.objects.get(case=case, transition="verify")

    render_on_entry(event)

    kinds = set(RenderJob.objects.filter(case=case).values_list("kind", flat=True))
    assert {K.PHYSICIAN_UNDERTAKING, K.PATIENT_CONSENT, K.REGULATORY_APPLICATION} <= kinds


@pytest.mark.parametrize("transition", ["create", "submit", "file_application", "dispatch"])
def test_other_transitions_request_nothing(case_in, transition):
    case = case_in(S.CLOSED)
    event = CaseEvent.objects.get(case=case, transition=transition)
    jobs_before = RenderJob.objects.filter(case=case).count()

    assert render_on_entry(event) is None
    assert RenderJob.objects.filter(case=case).count() == jobs_before


# --- The task ---------------------------------------------------------------------------------


def test_the_task_renders_the_job_it_is_given(case_in, coordinator):
    case = case_in(S.SUPPLIER_ORDERING)
    job = request_render(case=case, kind=K.PURCHASE_ORDER, actor=coordinator)

    render_document(job.pk)  # called directly: runs in this process, no broker

    job.refresh_from_db()
    assert job.status == RenderStatus.READY
    assert case.permit_number in pdf_text(job.document.file.open("rb").read())


def test_the_task_is_acknowledged_late_retried_with_backoff_and_time_limited(settings):
    assert render_document.acks_late is True
    assert render_document.autoretry_for == (Exception,)
    assert render_document.retry_backoff is True
    assert render_document.retry_backoff_max == settings.NPP_TASK_RETRY_BACKOFF_MAX
    assert render_document.max_retries == 5
    assert render_document.soft_time_limit == settings.NPP_RENDER_SOFT_TIME_LIMIT
    assert render_document.time_limit == settings.NPP_RENDER_TIME_LIMIT
    # the lease outlives the hard limit, so a live rendering is never taken twice
    assert jobs.render_lease().total_seconds() > render_document.time_limit
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True


# --- The fetcher: nothing leaves the process --------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin/",
        "https://example.com/logo.png",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://example.com/x",
        "https://static.npp.invalid/static/../../../etc/passwd",
        "https://static.npp.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://static.npp.invalid/static/documents/../documents/print.css",
        "https://static.npp.invalid/static/documents/print.css?x=1",
        "https://static.npp.invalid/etc/passwd",
        "https://static.npp.invalid.example.com/static/documents/print.css",
        "https://static.npp.invalid/static/no/such/file.css",
    ],
)
def test_the_fetcher_refuses_anything_but_our_static_files(url):
    with pytest.raises(RefusedURL):
        safe_fetcher.fetch(url)


def test_the_fetcher_serves_the_print_stylesheet():
    response = safe_fetcher.fetch(BASE_URL + "documents/print.css")

    assert response.content_type == "text/css"
    assert b"@page" in response.read()


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red; }")

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    """A local HTTP server that records every request it receives."""
    _Recorder.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()


def hostile_page(origin: str, secret) -> str:
    return f"""<html><head>
      <link rel="stylesheet" href="{origin}/linked.css">
      <style>
        @import url("{origin}/imported.css");
        body {{ background-image: url("{origin}/background.png"); }}
        h1 {{ background: url("file://{secret}"); }}
        @font-face {{ font-family: X; src: url("{origin}/font.woff"); }}
      </style></head>
      <body><h1>Hello</h1><img src="{origin}/image.png"><img src="file://{secret}"></body></html>"""


def local_image(path) -> None:
    """A real image on the local disk: if a renderer reads it, the PDF embeds it."""
    from PIL import Image

    Image.new("RGB", (8, 8), "red").save(path)


def embedded_images(pdf: bytes) -> int:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return len(page["/Resources"].get_object().get("/XObject") or {})


def test_a_hostile_page_fetches_nothing_through_the_safe_fetcher(listener, tmp_path, settings):
    origin, hits = listener
    secret = tmp_path / "secret.png"
    local_image(secret)
    templates = tmp_path / "templates"
    (templates / "documents").mkdir(parents=True)
    (templates / "documents" / "hostile.html").write_text(hostile_page(origin, secret))
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [templates, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    pdf = render_pdf("documents/hostile.html", {})

    assert pdf.startswith(b"%PDF-")
    assert hits == []
    assert embedded_images(pdf) == 0  # the local file was not read


def test_the_same_page_would_fetch_with_an_ordinary_fetcher(listener, tmp_path):
    """The control: the listener does see what an unrestricted renderer asks for."""
    origin, hits = listener
    secret = tmp_path / "secret.png"
    local_image(secret)

    pdf = HTML(string=hostile_page(origin, secret), url_fetcher=URLFetcher()).write_pdf()

    assert {"/linked.css", "/imported.css", "/image.png"} <= set(hits)
    assert embedded_images(pdf) >= 1


# --- Time limit ----------------------------------------------------------------------------------


def test_a_rendering_that_runs_too_long_is_interrupted(case_in):
    case = case_in(S.CLOSED)
    data = {**case_record.case_record_data(case), "data_version": "x"}
    before = signal.getsignal(signal.SIGALRM)

    # Whatever WeasyPrint is doing when the time runs out (even fetching the stylesheet,
    # where it turns errors into warnings), the rendering stops.
    # Far below the tens of milliseconds a two-page record takes on any machine.
    for timeout in (0.001, 0.002, 0.005):
        with pytest.raises(RenderTimeout, match=r"documents/case_record\.html"):
            render_pdf("documents/case_record.html", data, timeout=timeout)

    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_sweep_requests_a_paper_whose_handler_never_ran(case_in):
    # The process died between the commit of the verification and its render handler.
    case = case_in(S.FORMS_PREPARATION)
    verify = CaseEvent.objects.get(case=case, transition="verify")
    RenderJob.objects.filter(case=case).delete()
    later = verify.created_at + jobs.MISSING_RENDER_GRACE * 2

    assert jobs.missing_renders(now=verify.created_at) == []  # the handler's turn
    assert jobs.missing_renders(now=later) == [verify]

    requests.requeue_stale(now=later)

    job = RenderJob.objects.get(case=case, kind=K.REGULATORY_APPLICATION)
    assert job.kind == K.REGULATORY_APPLICATION
    assert jobs.missing_renders(now=later) == []


def _busy_until(moment: float) -> None:
    while time.monotonic() < moment:
        pass


def test_a_deadline_whose_interruption_is_swallowed_interrupts_again():
    """A gc callback or a __del__ running when the timer fires drops its exception
    (CI saw hypothesis's gc callback do it): the block must still be cut short."""
    swallowed = []
    give_up = time.monotonic() + 5

    with pytest.raises(RenderTimeout, match="runaway"), Deadline(0.01, what="runaway"):
        try:
            _busy_until(give_up)
        except _Expired:  # what the interpreter does to an "unraisable" exception
            swallowed.append(True)
        _busy_until(give_up)

    assert swallowed == [True]
    assert time.monotonic() < give_up
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_block_that_swallowed_every_interruption_still_ends_in_a_timeout():
    # The handler's exception is dropped (by contextlib.suppress here) and the block ends.
    with (
        pytest.raises(RenderTimeout),
        Deadline(0.01, what="late"),
        contextlib.suppress(_Expired),
    ):
        _busy_until(time.monotonic() + 0.05)


def test_a_rendering_interrupted_by_its_deadline_leaves_the_next_one_whole(case_in):
    """The font configuration outlives every render: one cut short must not spoil it."""
    case = case_in(S.CLOSED)
    data = {**case_record.case_record_data(case), "data_version": "x"}
    with pytest.raises(RenderTimeout):
        render_pdf("documents/case_record.html", data, timeout=0.002)

    text = pdf_text(render_pdf("documents/case_record.html", data))

    assert case.reference in text
    assert "Priya Menon" in text


# --- Memory ------------------------------------------------------------------------------


@pytest.fixture
def plain_template(tmp_path, settings) -> str:
    templates = tmp_path / "templates"
    (templates / "documents").mkdir(parents=True)
    (templates / "documents" / "plain.html").write_text(
        '<html lang="en"><head><title>Plain</title>'
        '<link rel="stylesheet" href="documents/print.css"></head>'
        "<body><h1>{{ title }}</h1><p>{{ text }}</p></body></html>"
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [templates, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    return "documents/plain.html"


def test_every_rendering_in_a_thread_lays_out_with_one_font_configuration(plain_template):
    config = font_config()

    first = render_pdf(plain_template, {"title": "First", "text": "One."})
    second = render_pdf(plain_template, {"title": "Second", "text": "Two."})

    assert font_config() is config
    assert config.strut_layouts  # the layouts measured their lines with it
    assert "First One." in pdf_text(first)
    assert "Second Two." in pdf_text(second)


def test_another_thread_gets_a_font_configuration_of_its_own():
    """A Pango font map is not thread-safe: threads never share one."""
    mine = font_config()
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(font_config()))
    thread.start()
    thread.join()

    assert theirs[0] is not mine
    assert font_config() is mine


class MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2`: ten size_t fields, in this order."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            *("arena", "ordblks", "smblks", "hblks", "hblkhd"),
            *("usmblks", "fsmblks", "uordblks", "fordblks", "keepcost"),
        )
    ]


def native_heap_in_use() -> int:
    """Bytes glibc's allocator has handed out and not had back, every arena."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = MallInfo2
    gc.collect()
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


@pytest.mark.skipif(
    not hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "mallinfo2"),
    reason="measures glibc's heap (mallinfo2, glibc 2.33+)",
)
def test_rendering_keeps_no_native_memory_from_one_paper_to_the_next(plain_template):
    """A new WeasyPrint font configuration per paper left about 226 KiB of fontconfig
    and Pango behind each time (bench_pdf_memory.py: +107 MiB over 450 renders)."""

    def render(n: int) -> bytes:
        return render_pdf(plain_template, {"title": f"Paper {n}", "text": "Text. " * 50})

    for n in range(3):
        render(n)  # warm: the font configuration, the template, the stylesheet
    before = native_heap_in_use()
    for n in range(20):
        render(n)
    grown = native_heap_in_use() - before

    assert grown / 20 < 40 * 1024, f"{grown / 20 / 1024:.0f} KiB kept per rendering"
