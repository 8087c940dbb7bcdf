"""The vocabulary of a case's papers: which kinds exist, how a reviewed one stands,
and what a signature means. The domain names them (a pathway lists the kinds each
transition needs, a guard asks for an accepted prescription); `documents` stores the
papers themselves and imports these names from here."""

from __future__ import annotations

from django.db import models


class DocumentKind(models.TextChoices):
    PRESCRIPTION = "prescription", "Prescription"
    PATIENT_IDENTITY = "patient_identity", "Patient identity document"
    PATIENT_CONSENT = "patient_consent", "Patient consent"
    MEDICAL_REPORT = "medical_report", "Medical report"
    PHYSICIAN_UNDERTAKING = "physician_undertaking", "Physician undertaking"
    REGULATORY_APPLICATION = "regulatory_application", "Regulatory application pack"
    IMPORT_PERMIT = "import_permit", "Import permit"
    PROFORMA_INVOICE = "proforma_invoice", "Proforma invoice"
    TAX_INVOICE = "tax_invoice", "Tax invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    PURCHASE_ORDER = "purchase_order", "Purchase order"
    CERTIFICATE_OF_ANALYSIS = "certificate_of_analysis", "Certificate of analysis"
    AIRWAY_BILL = "airway_bill", "Airway bill"
    BILL_OF_ENTRY = "bill_of_entry", "Bill of Entry"
    DUTY_RECEIPT = "duty_receipt", "Duty receipt"
    DUTY_EXEMPTION = "duty_exemption", "Duty exemption certificate"
    TEMPERATURE_LOG = "temperature_log", "Temperature log"
    PROOF_OF_DELIVERY = "proof_of_delivery", "Proof of delivery"
    PATIENT_INFORMATION = "patient_information", "Patient information sheet and delivery note"
    QUALITY_RELEASE = "quality_release", "Quality release"
    CASE_RECORD = "case_record", "Case record"
    ADVERSE_EVENT_REPORT = "adverse_event_report", "Side-effect report (CIOMS I)"
    OTHER = "other", "Other"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class SignatureMeaning(models.TextChoices):
    AUTHORSHIP = "authorship", "Author"
    APPROVAL = "approval", "Approved"
    CONSENT = "consent", "Consent given"
    RELEASE = "release", "Quality release"


class SignerCapacity(models.TextChoices):
    """In what capacity a person signs a patient's paper: the patient, or for a minor a
    parent or legal guardian (the printed name is then the parent's or guardian's)."""

    PATIENT = "patient", "The patient"
    PARENT = "parent", "Parent of the patient"
    GUARDIAN = "guardian", "Legal guardian of the patient"
