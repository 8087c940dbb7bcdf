"""Helpers shared by the state-machine tests: reach any state through real
transitions, prepare what a transition needs, and capture what is stored so a
refused move can be shown to have changed nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from documents.models import Document, DocumentKind
from documents.pdf_minimal import minimal_pdf
from documents.services import document_review, document_store
from npp.accounts.models import User
from orders.errors import GuardFailed
from orders.models import CaseEvent, ImportCase, Shipment, Verification
from orders.services import case_transition
from orders.states import CaseStatus
from portals import demo
from tests.conftest import PASSWORD

S = CaseStatus

# A plausible note for every transition: a question, an answer or a reason.
NOTES: dict[str, str] = {
    "submit": "Prescription attached.",
    "request_information": "Please send the latest eGFR report.",
    "resubmit": "eGFR report from last week attached.",
    "verify": "Prescription and identity checked.",
    "reject": "The prescriber's registration could not be confirmed.",
    "file_application": "Filed on SUGAM.",
    "record_permit": "Form 12B received.",
    "order_from_supplier": "Purchase order emailed to the manufacturer.",
    "dispatch": "Shipped by the manufacturer.",
    "arrive": "Landed at BLR air cargo.",
    "clear_customs": "Out of charge order issued.",
    "quarantine": "Temperature logger shows 34 C for six hours.",
    "release": "Quality decision: excursion within the stability data; release.",
    "reorder": "Quality decision: lot rejected after the excursion.",
    "confirm_delivery": "Received in good condition.",
    "close": "Treatment started; case complete.",
    "hold": "Patient admitted to hospital; pause until discharge.",
    "resume": "Patient discharged.",
    "cancel": "The patient no longer needs the treatment.",
}

# Where each transition starts from in the tests that need one source state.
SOURCE: dict[str, str] = {
    "submit": S.DRAFT,
    "request_information": S.SUBMITTED,
    "resubmit": S.INFORMATION_REQUESTED,
    "verify": S.SUBMITTED,
    "reject": S.SUBMITTED,
    "file_application": S.FORMS_PREPARATION,
    "record_permit": S.AWAITING_PERMIT,
    "order_from_supplier": S.SUPPLIER_ORDERING,
    "dispatch": S.SUPPLIER_ORDERING,
    "arrive": S.IN_TRANSIT,
    "clear_customs": S.CUSTOMS_CLEARANCE,
    "quarantine": S.IN_TRANSIT,
    "release": S.QUARANTINED,
    "reorder": S.QUARANTINED,
    "confirm_delivery": S.OUT_FOR_DELIVERY,
    "close": S.DELIVERED,
    "hold": S.SUBMITTED,
    "resume": S.ON_HOLD,
    "cancel": S.DRAFT,
}


def reach(case_in, coordinator: User, state: str, *, held_from: str = S.SUBMITTED) -> ImportCase:
    """The test case in `state`, every step a real transition. States off the
    happy path are reached from the nearest state on it."""
    if state in demo.HAPPY_PATH:
        return case_in(state)
    if state == S.INFORMATION_REQUESTED:
        case = case_in(S.SUBMITTED)
        return _move(case, coordinator, "request_information")
    if state == S.QUARANTINED:
        case = case_in(S.IN_TRANSIT)
        return _move(case, coordinator, "quarantine")
    if state == S.ON_HOLD:
        case = reach(case_in, coordinator, held_from)
        return _move(case, coordinator, "hold")
    if state == S.REJECTED:
        case = case_in(S.SUBMITTED)
        return _move(case, coordinator, "reject")
    if state == S.CANCELLED:
        case = case_in(S.SUBMITTED)
        return _move(case, coordinator, "cancel")
    raise ValueError(f"No way to reach {state} in the tests.")


def _move(case: ImportCase, actor: User, transition: str) -> ImportCase:
    return case_transition(case=case, actor=actor, transition=transition, note=NOTES[transition])


def upload(case: ImportCase, kind: DocumentKind, actor: User, *, accept_by=None) -> Document:
    return demo.upload(case, kind, actor, accept_by=accept_by)


def generate_application_pack(case: ImportCase, coordinator: User) -> Document:
    return document_store(
        case=case,
        kind=DocumentKind.REGULATORY_APPLICATION,
        content=minimal_pdf(f"Form 12A application for {case.reference}"),
        content_type="application/pdf",
        original_filename="application-pack.pdf",
        actor=coordinator,
        generated=True,
    )


APPLICATION_DOCUMENTS = (
    DocumentKind.REGULATORY_APPLICATION,
    DocumentKind.PHYSICIAN_UNDERTAKING,
    DocumentKind.PATIENT_CONSENT,
    DocumentKind.PATIENT_IDENTITY,
)


def provide_application_documents(
    case: ImportCase, coordinator: User, *, leave_out: str | None = None
) -> None:
    """The pack, the physician's undertaking and the patient's consent and identity,
    each accepted by the coordinator (all but `leave_out`)."""
    patient_actor = case.patient.user or coordinator
    uploaders = {
        DocumentKind.PATIENT_CONSENT: patient_actor,
        DocumentKind.PATIENT_IDENTITY: patient_actor,
    }
    for kind in APPLICATION_DOCUMENTS:
        if kind == leave_out:
            continue
        if kind == DocumentKind.REGULATORY_APPLICATION:
            generate_application_pack(case, coordinator)
        elif kind == DocumentKind.PHYSICIAN_UNDERTAKING:
            demo.sign_undertaking(case, password=PASSWORD)
        else:
            upload(case, kind, uploaders[kind], accept_by=coordinator)


def prepare(case: ImportCase, transition: str, coordinator: User) -> dict[str, Any]:
    """Store what `transition` needs from `case`'s current state and return the
    `note` and `data` that make it succeed for someone allowed to make it."""
    data: dict[str, Any] = {}
    if transition == "submit":
        upload(case, DocumentKind.PRESCRIPTION, case.physician.user)
    elif transition == "verify":
        prescription = case.documents.current().get(kind=DocumentKind.PRESCRIPTION)
        document_review(document=prescription, actor=coordinator, accept=True)
        data = demo.verification_data(case)
    elif transition == "file_application":
        provide_application_documents(case, coordinator)
        data = {"regulator_reference": f"SUGAM/12A/{case.pk:06d}"}
    elif transition == "record_permit":
        upload(case, DocumentKind.IMPORT_PERMIT, coordinator)
        data = demo.permit_data(case)
    elif transition == "order_from_supplier":
        demo.settle_money(case, coordinator)
    elif transition == "dispatch":
        demo.settle_and_order(case, coordinator)
        data = demo.shipment_data(case)
    elif transition == "clear_customs":
        data = demo.customs_data(case)
    elif transition == "release":
        demo.sign_quality_release(case, coordinator, password=PASSWORD, decision=NOTES["release"])
    elif transition == "confirm_delivery":
        upload(case, DocumentKind.PROOF_OF_DELIVERY, coordinator)
        data = demo.delivery_data(case)
    return {"note": NOTES[transition], "data": data}


def stored(case: ImportCase) -> dict[str, Any]:
    """Everything a transition could write, read back from the database."""
    fresh = ImportCase.objects.get(pk=case.pk)
    return {
        "case": {f.attname: getattr(fresh, f.attname) for f in ImportCase._meta.concrete_fields},
        "shipments": list(Shipment.objects.filter(case_id=case.pk).order_by("pk").values()),
        "verification": list(Verification.objects.filter(case_id=case.pk).values()),
        "documents": list(
            Document.objects.filter(case_id=case.pk).order_by("pk").values("pk", "review_status")
        ),
        "events": CaseEvent.objects.filter(case_id=case.pk).count(),
    }


def assert_unchanged(case: ImportCase, before: dict[str, Any]) -> None:
    status = before["case"]["status"]
    case.refresh_from_db()
    assert case.status == status
    assert stored(case) == before


def refuse(
    case: ImportCase,
    actor: User,
    transition: str,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    error: type[Exception] = GuardFailed,
) -> Exception:
    """Attempt the transition, expect `error`, and check nothing was stored."""
    before = stored(case)
    with pytest.raises(error) as caught:
        case_transition(case=case, actor=actor, transition=transition, note=note, data=data)
    assert_unchanged(case, before)
    return caught.value


def assert_refused(error: GuardFailed, *missing: str) -> None:
    """The refusal names each missing thing, and names nothing else."""
    message = str(error)
    for what in missing:
        assert what in message, f"{what!r} not named in {message!r}"
    assert len(error.problems) == len(missing), error.problems


def backdate(case: ImportCase, *, hours: int = 1) -> dt.datetime:
    """Move the case's state_changed_at into the past, so a transition visibly
    moves it (the database clock does not tick fast enough to compare otherwise)."""
    earlier = timezone.now() - dt.timedelta(hours=hours)
    ImportCase.objects.filter(pk=case.pk).update(state_changed_at=earlier)
    return earlier
