"""The physician portal's use cases that span the domain and the papers: open a
request with its prescription, answer a question with a document, sign the
undertaking. Each composes `orders` and `documents` services; the rules stay in them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from documents.generation.signing import paper_sign
from documents.models import DocumentKind, Signature, SignatureMeaning
from documents.selectors import current_undertaking
from documents.services import document_upload
from documents.signatures import document_sign, signer_confirmed
from npp.accounts.models import User
from orders.errors import DomainError, GuardFailed
from orders.models import ImportCase, Patient, Physician, transition_label
from orders.patients import patient_create
from orders.services import case_create, case_transition


@dataclass(frozen=True)
class Upload:
    content: bytes
    filename: str


def request_open(
    *,
    actor: User,
    physician: Physician,
    patient: Patient | None,
    new_patient: dict[str, Any] | None,
    request: dict[str, Any],
    prescription: Upload | None,
    submit: bool,
) -> tuple[ImportCase, str]:
    """Open a request (with a new patient if asked), attach the prescription, and
    submit it if asked. Returns the case and, when it could not be submitted yet,
    the guard's message: the draft is kept either way."""
    if patient is None:
        if new_patient is None:
            raise DomainError("Choose the patient, or add a new one.")
        patient = patient_create(actor=actor, **new_patient)
    case = case_create(actor=actor, patient=patient, physician=physician, **request)
    if prescription is not None:
        document_upload(
            case=case,
            kind=DocumentKind.PRESCRIPTION,
            content=prescription.content,
            filename=prescription.filename,
            actor=actor,
        )
    if not submit:
        return case, ""
    return request_submit(case=case, actor=actor)


def request_submit(*, case: ImportCase, actor: User) -> tuple[ImportCase, str]:
    try:
        return case_transition(case=case, actor=actor, transition="submit"), ""
    except GuardFailed as refusal:
        return ImportCase.objects.get(pk=case.pk), str(refusal)


def request_answer(
    *, case: ImportCase, actor: User, answer: str, kind: str = "", document: Upload | None
) -> ImportCase:
    """Answer the coordinator's question (with a document if given) and resubmit."""
    if not (answer or "").strip():
        raise GuardFailed(
            transition_label("resubmit"), ["the answer to the coordinator's question"]
        )
    if document is not None:
        document_upload(
            case=case,
            kind=kind or DocumentKind.MEDICAL_REPORT,
            content=document.content,
            filename=document.filename,
            actor=actor,
        )
    return case_transition(case=case, actor=actor, transition="resubmit", note=answer)


def undertaking_sign(
    *,
    case: ImportCase,
    actor: User,
    printed_name: str,
    password: str,
    ip_address: str | None,
    read_version: str = "",
    scan: Upload | None = None,
) -> Signature:
    """The physician signs their undertaking with their typed name and password; the
    time and address are recorded. Without a scan, the one the system generated, as
    the page showed it (`read_version`); with one, the scan they signed on paper,
    added to the case first."""
    if scan is None:
        return paper_sign(
            case=case,
            kind=DocumentKind.PHYSICIAN_UNDERTAKING,
            signer=actor,
            password=password,
            printed_name=printed_name,
            read_version=read_version,
            ip_address=ip_address,
        )
    # Checked (the password counted) before anything is stored, so a name not theirs or
    # a wrong password adds nothing.
    printed_name = signer_confirmed(
        case=case,
        signer=actor,
        password=password,
        printed_name=printed_name,
        meaning=SignatureMeaning.AUTHORSHIP,
    )
    document_upload(
        case=case,
        kind=DocumentKind.PHYSICIAN_UNDERTAKING,
        content=scan.content,
        filename=scan.filename,
        actor=actor,
    )
    document = current_undertaking(case)
    return document_sign(
        document=document,
        signer=actor,
        password=password,
        printed_name=printed_name,
        meaning=SignatureMeaning.AUTHORSHIP,
        ip_address=ip_address,
    )
