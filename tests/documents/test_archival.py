"""Every generated paper is PDF/A-3a: archival (its XMP metadata declares the part and
conformance) and tagged (a screen reader finds headings, paragraphs and tables in
reading order), with its title, author, subject and language set."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
from django.utils import timezone

from billing import services as billing
from billing.handlers import invoice_on_delivery
from documents.generation.adverse_event_report import render_report
from documents.generation.papers import GENERATED_KINDS, render_document_pdf, version_of
from documents.generation.quality_release import quality_release_data
from documents.models import DocumentKind
from documents.rendering import render_pdf
from orders.adverse_events import adverse_event_report
from orders.models import AdverseEvent, CaseEvent, ImportCase, Importer
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD

K = DocumentKind
S = CaseStatus


@pytest.fixture
def every_paper(case_in, coordinator, other_case) -> dict[str, bytes]:
    """One PDF of each generated kind: a case walked to its close (with its quotation,
    its tax invoice and its record), and a cancelled one refunded (its credit note)."""
    case = case_in(S.DELIVERED)
    invoice_on_delivery(CaseEvent.objects.get(case=case, transition="confirm_delivery"))
    case = case_transition(
        case=ImportCase.objects.get(pk=case.pk), actor=coordinator, transition="close"
    )
    refunded = demo.walk_to(
        other_case, S.SUPPLIER_ORDERING, coordinator=coordinator, signing_password=PASSWORD
    )
    demo.settle_money(refunded, coordinator)
    refunded = case_transition(
        case=ImportCase.objects.get(pk=refunded.pk),
        actor=coordinator,
        transition="cancel",
        note="The patient no longer needs the treatment.",
    )
    billing.refund_record(
        case=refunded,
        actor=coordinator,
        method="neft_rtgs",
        reference="UTR-RF-1",
        amount="2439189.69",
        paid_on=timezone.localdate(),
        reason="Cancelled before the order was placed.",
    )
    papers = {
        kind: render_document_pdf(case, kind)[0] for kind in GENERATED_KINDS - {K.CREDIT_NOTE}
    }
    papers[K.CREDIT_NOTE] = render_document_pdf(refunded, K.CREDIT_NOTE)[0]
    # The papers made outside the render jobs: the CIOMS I report of a side effect and
    # a quality decision after a quarantine, through the same renderer.
    report = adverse_event_report(
        case=case,
        reporter=case.physician.user,
        onset_date=timezone.localdate(),
        description="Fine tremor of both hands from the first evening.",
        seriousness=AdverseEvent.Seriousness.NON_SERIOUS,
    )
    papers["adverse_event_report"] = render_report(report)
    decision = quality_release_data(case, decision="Seals intact; released.", by=coordinator)
    papers[K.QUALITY_RELEASE] = render_pdf(
        "documents/quality_release.html", {**decision, "data_version": version_of(decision)}
    )
    return papers


def test_every_generated_paper_declares_pdf_a_3a_and_its_metadata(every_paper):
    assert set(every_paper) >= set(GENERATED_KINDS)
    importer = Importer.current().name
    for kind, pdf in every_paper.items():
        with pikepdf.open(io.BytesIO(pdf)) as document:
            meta = document.open_metadata()
            assert meta.get("pdfaid:part") == "3", kind
            assert meta.get("pdfaid:conformance") == "A", kind
            info = document.docinfo
            assert str(info["/Title"]).strip(), kind
            if kind in GENERATED_KINDS:
                label = DocumentKind(kind).label
                assert str(info["/Title"]).startswith(label), (kind, info["/Title"])
                assert label in str(info["/Subject"]), kind
            assert str(info["/Subject"]).strip(), kind
            assert str(info["/Author"]) == importer, kind
            assert str(document.Root.Lang) == "en", kind
            assert document.Root.MarkInfo.Marked is True, kind
            assert "/StructTreeRoot" in document.Root, kind
            assert "/OutputIntents" in document.Root, kind


def test_every_generated_paper_is_tagged_for_a_screen_reader(every_paper, tmp_path):
    # pdfinfo: poppler-utils, installed by scripts/system-deps.sh.
    for kind, pdf in every_paper.items():
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=True
        ).stdout
        assert "Tagged:          yes" in info, (kind, info)
