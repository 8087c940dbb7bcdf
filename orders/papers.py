"""The vocabulary of a case's papers: which kinds exist, how a reviewed one stands,
and what a signature means. The domain names them (a pathway lists the kinds each
transition needs, a guard asks for an accepted prescription); `documents` stores the
papers themselves and imports these names from here."""

from __future__ import annotations

from typing import Any

from django.db import models

# Labels are marked for the catalogue but stay plain English strings: papers hash and
# store them. A page translates them where a reader sees them ({% translate %}).
from django.utils.translation import gettext_noop as _


class DocumentKind(models.TextChoices):
    PRESCRIPTION = "prescription", _("Prescription")
    PATIENT_IDENTITY = "patient_identity", _("Patient identity document")
    PATIENT_CONSENT = "patient_consent", _("Patient consent")
    MEDICAL_REPORT = "medical_report", _("Medical report")
    PHYSICIAN_UNDERTAKING = "physician_undertaking", _("Physician undertaking")
    REGULATORY_APPLICATION = "regulatory_application", _("Regulatory application pack")
    IMPORT_PERMIT = "import_permit", _("Import permit")
    PROFORMA_INVOICE = "proforma_invoice", _("Proforma invoice")
    TAX_INVOICE = "tax_invoice", _("Tax invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    PURCHASE_ORDER = "purchase_order", _("Purchase order")
    CERTIFICATE_OF_ANALYSIS = "certificate_of_analysis", _("Certificate of analysis")
    AIRWAY_BILL = "airway_bill", _("Airway bill")
    BILL_OF_ENTRY = "bill_of_entry", _("Bill of Entry")
    DUTY_RECEIPT = "duty_receipt", _("Duty receipt")
    DUTY_EXEMPTION = "duty_exemption", _("Duty exemption certificate")
    TEMPERATURE_LOG = "temperature_log", _("Temperature log")
    PROOF_OF_DELIVERY = "proof_of_delivery", _("Proof of delivery")
    PATIENT_INFORMATION = "patient_information", _("Patient information sheet and delivery note")
    QUALITY_RELEASE = "quality_release", _("Quality release")
    CASE_RECORD = "case_record", _("Case record")
    ADVERSE_EVENT_REPORT = "adverse_event_report", _("Side-effect report (CIOMS I)")
    OTHER = "other", _("Other")


# The papers a scan signed on paper may stand for, once a coordinator accepts it: the
# consent. The physician's undertaking needs the physician's electronic signature.
SIGNED_ON_PAPER = frozenset({DocumentKind.PATIENT_CONSENT})


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class SignatureMeaning(models.TextChoices):
    AUTHORSHIP = "authorship", _("Author")
    APPROVAL = "approval", _("Approved")
    CONSENT = "consent", _("Consent given")
    RELEASE = "release", _("Quality release")


class SignerCapacity(models.TextChoices):
    """In what capacity a person signs a patient's paper: the patient, or for a minor a
    parent or legal guardian (the printed name is then the parent's or guardian's)."""

    PATIENT = "patient", _("The patient")
    PARENT = "parent", _("Parent of the patient")
    GUARDIAN = "guardian", _("Legal guardian of the patient")


# Each paper signed before filing, and what its signer's signature means.
SIGNED_BY = {
    DocumentKind.PHYSICIAN_UNDERTAKING: SignatureMeaning.AUTHORSHIP,
    DocumentKind.PATIENT_CONSENT: SignatureMeaning.CONSENT,
}


def signer_user_id(case: Any, kind: str) -> int | None:
    """The account whose signature a paper needs: the case's physician for the
    undertaking, the patient's own account (used by a minor's parent or guardian)
    for the consent."""
    if kind == DocumentKind.PHYSICIAN_UNDERTAKING:
        return case.physician.user_id
    if kind == DocumentKind.PATIENT_CONSENT:
        return case.patient.user_id
    return None


def paper_signatures(case: Any, document: Any) -> list[Any]:
    """The verifying signatures that count on `document` (a documents.Document) for
    `case`: on a paper signed before filing (`SIGNED_BY`), those by the person `case`
    needs (`signer_user_id`) meaning what its kind is signed for; on any other
    document, every verifying one. A resupply's reused document carries the signatures
    given on the one it comes from (`reused_from`); they count for `case` only when
    given by the person `case` needs. The one rule: the guards, the signing page, the
    pack and its checklist all read signatures here."""
    if document is None:
        return []
    signed = document.reused_from if document.reused_from_id else document
    # Chosen here rather than by the query, so that signatures prefetched with the
    # documents (the pack reads every document's) are read without a query each.
    signatures = sorted(signed.signatures.all(), key=lambda s: (s.signed_at, s.pk))
    if document.kind in SIGNED_BY:
        signer = signer_user_id(case, document.kind)
        if signer is None:
            return []
        meaning = SIGNED_BY[document.kind]
        signatures = [s for s in signatures if s.signer_id == signer and s.meaning == meaning]
    return [signature for signature in signatures if signature.verifies()]
