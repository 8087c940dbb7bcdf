"""The two papers people sign before filing: the physician's undertaking and the
patient's consent. Each is generated from the case as its own document, so that the
person reads (as a page) and signs (its PDF's sha256) exactly what the system wrote;
the application pack then shows them again with each signature's manifestation.

Their data holds only what the papers say: a change of the case's state or of the
port of entry does not make a new version to sign again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from documents.generation import parts
from documents.generation.formatting import format_date, format_datetime
from documents.models import (
    Document,
    DocumentKind,
    Signature,
)
from npp.accounts.languages import language_of
from orders.models import ImportCase
from orders.papers import SIGNED_ON_PAPER, paper_signatures
from orders.resupply import reuse_note

K = DocumentKind

# Each paper to sign: its text (the pack's section). Who signs it, meaning what, and
# which signatures count: orders.papers (SIGNED_BY, paper_signatures), as the guards
# read them.
TEXT_TEMPLATE = {
    K.PHYSICIAN_UNDERTAKING: "documents/_pack_physician_undertaking.html",
    K.PATIENT_CONSENT: "documents/_pack_patient_consent.html",
}


def _only(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: data[name] for name in names}


def _declaration(case: ImportCase, kind: DocumentKind) -> dict[str, Any]:
    """What the paper says, and nothing else: a fact it does not show (the patient's
    phone, the product's storage) changing must not ask for a new signature."""
    common = parts.common(case, kind)
    return {
        "kind": common["kind"],
        "title": common["title"],
        "service": {"name": common["service"]["name"]},
        "importer": {"name": common["importer"].get("name", "")},
        # The reference only: the state and the regulator's number change after signing.
        "case": {"reference": case.reference},
        "text_template": TEXT_TEMPLATE[kind],
        "patient": _only(
            parts.patient(case),
            "name",
            "date_of_birth",
            "address_lines",
            "id_document",
            "id_number_masked",
        ),
        "physician": _only(
            parts.physician(case), "name", "registration_number", "registration_council"
        ),
        "product": _only(
            parts.product(case),
            "brand_name",
            "generic_name",
            "strength",
            "dosage_form",
            "approved_in_text",
            "dose_adjustment",
            "monitoring",
        ),
        "request": _only(parts.request(case), "prescribed_dose", "treatment_days"),
        "pathway": _only(parts.pathway(case), "country", "regulator", "adverse_event_days"),
        # The product's source of supply, as the pack names it before any shipment.
        "supplier": {"name": parts.supplier(case)["name"]},
    }


def physician_undertaking_data(case: ImportCase) -> dict[str, Any]:
    return _declaration(case, K.PHYSICIAN_UNDERTAKING)


def patient_consent_data(case: ImportCase) -> dict[str, Any]:
    data = _declaration(case, K.PATIENT_CONSENT)
    # A minor's consent is signed by a parent or legal guardian: the paper says so.
    data["patient"]["minor"] = case.patient.is_minor(timezone.localdate())
    # She reads and signs it in her language; an English consent's data (and so the
    # version its signatures seal) stays as it was. The application pack shows its
    # text in English beside the signature.
    language = language_of(case.patient.user)
    if language != settings.LANGUAGE_CODE:
        data["language"] = language
    return data


def paper_signature(case: ImportCase, document: Document | None) -> Signature | None:
    """The first of `paper_signatures`: whether the paper is signed, and by whom."""
    return next(iter(paper_signatures(case, document)), None)


def paper_state(case: ImportCase, document: Document) -> dict[str, Any]:
    """How `document` stands for the pack and its checklist: its version, whether it
    was generated or a scan, its review, and each signature that counts
    (`paper_signatures`) with its manifestation (printed name, capacity, date and
    time, meaning). A resupply's reused document says where it comes from."""
    signatures = [_manifestation(s) for s in paper_signatures(case, document)]
    return {
        "kind": document.kind,
        "version": document.version,
        "generated": document.generated,
        "review": document.get_review_status_display(),
        "reused": reuse_note(document),
        "signatures": signatures,
        # What the pack shows in place of the blank signature lines: the electronic
        # signatures, or a scan signed on paper where the guards accept one (the
        # consent; the undertaking needs the physician's electronic signature).
        "signed": bool(signatures) or (not document.generated and document.kind in SIGNED_ON_PAPER),
    }


def _manifestation(signature: Signature) -> dict[str, Any]:
    return {
        "printed_name": signature.printed_name,
        # A minor's consent: the parent or guardian who signed it, as what.
        "capacity": signature.capacity_label,
        "signed_at": format_datetime(signature.signed_at),
        "signed_on": format_date(timezone.localtime(signature.signed_at).date()),
        "meaning": signature.get_meaning_display(),
        "content_sha256": signature.content_sha256,
        "manifestation": signature.manifestation,
    }
