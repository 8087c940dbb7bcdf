"""Walk a case along the happy path through real transitions, with plausible data.

Used by `seed_demo` (so every demo case has a true history) and by tests that need
a case in a given state. Each step calls the same services a person's click would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from billing import services as billing
from billing.gst import STATE_CODES
from billing.models import Payer, PayerKind
from billing.selectors import case_account
from documents.generation.papers import data_version
from documents.generation.quality_release import quality_release_statement_sign
from documents.generation.signing import paper_sign
from documents.models import Document, DocumentKind, SignatureMeaning
from documents.pdf_minimal import minimal_pdf
from documents.selectors import undertaking_signature
from documents.services import document_review, document_store
from documents.signatures import document_sign
from orders import guards
from orders.models import ImportCase, Supplier
from orders.services import case_transition
from orders.states import HAPPY_PATH, CaseStatus

S = CaseStatus


def upload(case: ImportCase, kind: DocumentKind, actor, *, accept_by=None) -> Document:
    document = document_store(
        case=case,
        kind=kind,
        content=minimal_pdf(f"{DocumentKind(kind).label} for {case.reference}"),
        content_type="application/pdf",
        original_filename=f"{kind}.pdf",
        actor=actor,
    )
    if accept_by is not None and document.review_status != "accepted":
        document = document_review(document=document, actor=accept_by, accept=True)
    return document


def sign_undertaking(case: ImportCase, *, password: str | None) -> Document:
    """The physician adds their undertaking and signs it electronically."""
    if password is None:
        raise ValueError("Walking past forms_preparation needs the physician's signing_password.")
    physician = case.physician.user
    undertaking = upload(case, DocumentKind.PHYSICIAN_UNDERTAKING, physician)
    document_sign(
        document=undertaking,
        signer=physician,
        password=password,
        printed_name=case.physician.full_name,
        meaning=SignatureMeaning.AUTHORSHIP,
    )
    return undertaking


def sign_generated(case: ImportCase, kind: str, signer, *, password: str | None) -> bool:
    """`signer` signs the generated `kind` as read on its page (the undertaking as its
    author, the consent as the patient); False when no one can."""
    if signer is None or password is None:
        return False
    printed_name = (
        case.physician.full_name
        if kind == DocumentKind.PHYSICIAN_UNDERTAKING
        else case.patient.full_name
    )
    paper_sign(
        case=case,
        kind=kind,
        signer=signer,
        password=password,
        printed_name=printed_name,
        read_version=data_version(case, kind),
    )
    return True


def sign_quality_release(case: ImportCase, coordinator, *, password: str, decision: str):
    """The coordinator writes and signs the quality decision that releases quarantined
    goods (the `release` transition asks for the signature)."""
    return quality_release_statement_sign(
        case=case,
        actor=coordinator,
        decision=decision,
        printed_name=coordinator.full_name,
        password=password,
    )


def verification_data(case: ImportCase, **overrides) -> dict:
    data = {
        "prescriber_registration_checked": True,
        "patient_identity_checked": True,
        "product_match_checked": True,
        "signature_checked": True,
        "prescription_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "co_medications_reviewed": True,
        "co_medications": "mycophenolate mofetil\nprednisolone",
        "measure_egfr": "72",
        "measure_systolic_bp": "128",
        "measure_diastolic_bp": "82",
        "threshold_justification": "",
    }
    data.update(overrides)
    return data


def permit_data(case: ImportCase, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "permit_number": f"12B/{case.reference[-5:]}/{today.year}",
        "permit_issued_on": today.isoformat(),
        "permit_valid_until": (today + dt.timedelta(days=180)).isoformat(),
        "permitted_quantity_packs": str(case.quantity_packs),
    }
    data.update(overrides)
    return data


def shipment_data(case: ImportCase, **overrides) -> dict:
    today = timezone.localdate()
    supplier = Supplier.objects.filter(kind=Supplier.Kind.MANUFACTURER).order_by("pk").first()
    data = {
        "supplier": str(supplier.pk),
        "purchase_order_number": f"PO-{case.reference}",
        "batch_number": f"LOT{case.pk:05d}A",
        "manufactured_on": (today - dt.timedelta(days=60)).isoformat(),
        "expiry_date": (today + dt.timedelta(days=700)).isoformat(),
        "quantity_packs": str(case.quantity_packs),
        "courier": "DHL Express",
        "tracking_number": f"JD0146{case.pk:08d}",
    }
    data.update(overrides)
    return data


def payer_data(case: ImportCase, **overrides) -> dict:
    """The patient pays for themself, billed at their delivery address."""
    patient = case.patient
    data = {
        "kind": PayerKind.PATIENT,
        "name": patient.full_name,
        "address": "\n".join(
            part for part in (patient.address, f"{patient.city} {patient.postal_code}") if part
        ),
        "state": patient.state if patient.state in STATE_CODES else "Karnataka",
        "postal_code": patient.postal_code,
        "gstin": "",
        "email": patient.email,
    }
    data.update(overrides)
    return data


def settle_money(case: ImportCase, coordinator) -> None:
    """What the order to the supplier waits for: the payer named, the quotation issued,
    accepted (by the patient in the tracker, or by phone through the coordinator) and
    paid in full."""
    if not Payer.objects.filter(case=case).exists():
        billing.payer_set(case=case, actor=coordinator, **payer_data(case))
    quotation = case.quotations.filter(status="accepted").first()
    if quotation is None:
        quotation = billing.quotation_issue(case=case, actor=coordinator)
        patient = case.patient.user
        if patient is not None:
            billing.quotation_accept(quotation=quotation, actor=patient)
        else:
            billing.quotation_accept(
                quotation=quotation, actor=coordinator, note="Accepted by phone."
            )
    due = case_account(case).balance_due
    if due > 0 and not quotation.waived:
        billing.payment_record(
            case=case,
            actor=coordinator,
            method="upi",
            reference=f"UPI/{case.pk:06d}",
            amount=due,
            received_on=timezone.localdate(),
        )


def settle_and_order(case: ImportCase, coordinator) -> ImportCase:
    """Money settled, then the order sent to the supplier."""
    settle_money(case, coordinator)
    return case_transition(case=case, actor=coordinator, transition="order_from_supplier")


def customs_data(case: ImportCase, **overrides) -> dict:
    """What customs assessed: the quotation's estimate, as a Bill of Entry usually
    confirms it (250,000 rupees assessed at 16.55% for a case never quoted)."""
    quotation = case.quotations.filter(status="accepted").first()
    assessable = quotation.assessable_value if quotation else Decimal("250000.00")
    duty = quotation.duty_total if quotation else Decimal("41375.00")
    data = {
        "bill_of_entry_number": f"BE{case.pk:07d}",
        "assessable_value": str(assessable),
        "duty_amount": str(duty),
        "duty_exemption": "",
        "clearance_date": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def delivery_data(case: ImportCase, **overrides) -> dict:
    shipment = case.current_shipment
    data = {
        "delivered_to": case.patient.full_name,
        "delivered_at": timezone.now().isoformat(),
        "delivered_lot": shipment.batch_number if shipment else "",
    }
    data.update(overrides)
    return data


def _submit(case: ImportCase, coordinator, **options) -> ImportCase:
    physician = case.physician.user
    upload(case, DocumentKind.PRESCRIPTION, physician)
    return case_transition(case=case, actor=physician, transition="submit")


def _verify(case: ImportCase, coordinator, **options) -> ImportCase:
    prescription = case.documents.current().get(kind=DocumentKind.PRESCRIPTION)
    document_review(document=prescription, actor=coordinator, accept=True)
    return case_transition(
        case=case, actor=coordinator, transition="verify", data=verification_data(case)
    )


def _file_application(case: ImportCase, coordinator, **options) -> ImportCase:
    papers = options.get("papers")
    if papers is None:
        # For speed (tests walk hundreds of cases): a one-page stand-in for the pack.
        document_store(
            case=case,
            kind=DocumentKind.REGULATORY_APPLICATION,
            content=minimal_pdf(f"Form 12A application for {case.reference}"),
            content_type="application/pdf",
            original_filename="application-pack.pdf",
            actor=coordinator,
            generated=True,
        )
    password = options.get("signing_password")
    patient_actor = case.patient.user or coordinator
    if papers is not None:
        # The undertaking and the consent generated on entering preparation, each
        # signed as read by the one who gives it (a patient without an account sends
        # hers signed on paper: uploaded, and accepted by the coordinator).
        papers(case)
    # What is not on file yet: a case whose papers were signed on their pages keeps them.
    if undertaking_signature(case) is None and (
        papers is None
        or not sign_generated(
            case, DocumentKind.PHYSICIAN_UNDERTAKING, case.physician.user, password=password
        )
    ):
        sign_undertaking(case, password=password)
    accepted = case.documents.current().accepted()
    if (
        not accepted.filter(kind=DocumentKind.PATIENT_CONSENT).exists()
        or guards.consent_signed.problems(case)
    ) and (
        papers is None
        or not sign_generated(
            case, DocumentKind.PATIENT_CONSENT, case.patient.user, password=password
        )
    ):
        upload(case, DocumentKind.PATIENT_CONSENT, patient_actor, accept_by=coordinator)
    if not accepted.filter(kind=DocumentKind.PATIENT_IDENTITY).exists():
        upload(case, DocumentKind.PATIENT_IDENTITY, patient_actor, accept_by=coordinator)
    if papers is not None:
        papers(case)  # the real pack, with every document above on its checklist
    return case_transition(
        case=case,
        actor=coordinator,
        transition="file_application",
        data={"regulator_reference": f"SUGAM/12A/{case.pk:06d}"},
    )


def _record_permit(case: ImportCase, coordinator, **options) -> ImportCase:
    upload(case, DocumentKind.IMPORT_PERMIT, coordinator)
    return case_transition(
        case=case, actor=coordinator, transition="record_permit", data=permit_data(case)
    )


def _dispatch(case: ImportCase, coordinator, **options) -> ImportCase:
    case = settle_and_order(case, coordinator)
    return case_transition(
        case=case, actor=coordinator, transition="dispatch", data=shipment_data(case)
    )


def _arrive(case: ImportCase, coordinator, **options) -> ImportCase:
    return case_transition(case=case, actor=coordinator, transition="arrive")


def _clear_customs(case: ImportCase, coordinator, **options) -> ImportCase:
    return case_transition(
        case=case, actor=coordinator, transition="clear_customs", data=customs_data(case)
    )


def _confirm_delivery(case: ImportCase, coordinator, **options) -> ImportCase:
    if case.patient.user is not None:
        return case_transition(case=case, actor=case.patient.user, transition="confirm_delivery")
    upload(case, DocumentKind.PROOF_OF_DELIVERY, coordinator)
    return case_transition(
        case=case, actor=coordinator, transition="confirm_delivery", data=delivery_data(case)
    )


def _close(case: ImportCase, coordinator, **options) -> ImportCase:
    return case_transition(
        case=case, actor=coordinator, transition="close", note="Treatment started; case complete."
    )


STEPS: dict[str, Callable[..., ImportCase]] = {
    S.DRAFT: _submit,
    S.SUBMITTED: _verify,
    S.FORMS_PREPARATION: _file_application,
    S.AWAITING_PERMIT: _record_permit,
    S.SUPPLIER_ORDERING: _dispatch,
    S.IN_TRANSIT: _arrive,
    S.CUSTOMS_CLEARANCE: _clear_customs,
    S.OUT_FOR_DELIVERY: _confirm_delivery,
    S.DELIVERED: _close,
}


def walk_to(
    case: ImportCase,
    target: str,
    *,
    coordinator,
    signing_password: str | None = None,
    papers: Callable[[ImportCase], object] | None = None,
) -> ImportCase:
    """Advance `case` along the happy path until it reaches `target`. Past
    forms_preparation the physician signs the undertaking: `signing_password` is
    their password, re-entered as at any signature. `papers`, when given, is called
    after each step (and before filing) to render the papers asked for so far, so the
    case never moves on, nor closes, with a paper still to render; without it the
    pack is a one-page stand-in and nothing is rendered (fast, for tests)."""
    if target not in HAPPY_PATH:
        raise ValueError(f"{target} is not on the happy path; walk to a state before it.")
    while case.status != target:
        if HAPPY_PATH.index(case.status) > HAPPY_PATH.index(target):
            raise ValueError(f"{case.reference} is already past {target}.")
        case = STEPS[case.status](
            case, coordinator, signing_password=signing_password, papers=papers
        )
        if papers is not None:
            papers(case)
    return case
