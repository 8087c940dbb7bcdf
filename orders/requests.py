"""The physician's side of a request: patients they bring, the supply a quantity
gives, and the invitation that lets a patient follow their import.

A new patient with an email address gets an account with no usable password and an
invitation to choose one (the same signed, single-use link as a password reset);
a patient without one is followed through their physician.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.template.loader import render_to_string
from django.urls import reverse

from documents.models import Document, DocumentKind, Signature, SignatureMeaning
from documents.services import document_upload
from documents.signatures import document_sign
from npp.accounts.models import Role, User
from orders.access import cases_visible_to
from orders.models import (
    CaseEvent,
    DomainError,
    GuardFailed,
    ImportCase,
    Pathway,
    Patient,
    Physician,
    Product,
    days_of_supply,
)
from orders.services import case_create, case_transition
from orders.states import CaseStatus

S = CaseStatus
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SupplyEstimate:
    days: int | None
    cap_days: int
    over_cap: bool

    @property
    def message(self) -> str:
        if self.days is None:
            return ""
        text = f"This quantity lasts {self.days} days."
        if self.over_cap:
            text += f" That is above the {self.cap_days}-day cap of one import: reduce the packs."
        return text


def supply_estimate(
    *,
    product: Product | None,
    daily_units: int | None,
    quantity_packs: int | None,
    pathway: Pathway | None = None,
) -> SupplyEstimate:
    """Days of supply as ImportCase.days_of_supply counts them, against the cap."""
    cap = (pathway or Pathway.default()).quantity_cap_days
    days = days_of_supply(
        packs=quantity_packs,
        units_per_pack=product.units_per_pack if product else None,
        daily_units=daily_units,
    )
    return SupplyEstimate(
        days=days, cap_days=cap, over_cap=bool(cap and days is not None and days > cap)
    )


def patients_of(physician: Physician) -> QuerySet[Patient]:
    """The patients a physician has opened requests for."""
    return Patient.objects.filter(cases__physician=physician).distinct().order_by("full_name")


@transaction.atomic
def patient_create(
    *,
    actor: User,
    full_name: str,
    date_of_birth: dt.date,
    sex: str,
    address: str,
    city: str,
    postal_code: str,
    id_document_type: str,
    id_document_number: str,
    state: str = "",
    phone: str = "",
    email: str = "",
) -> Patient:
    """A physician (or coordinator) records a new patient. With an email address the
    patient gets a tracker account and, after the commit, an invitation to set its
    password; only the masked identity number is stored."""
    if actor.role not in (Role.PHYSICIAN, Role.COORDINATOR):
        raise PermissionDenied("Only a physician or a coordinator may add a patient.")
    email = (email or "").strip().lower()
    user = None
    if email:
        if User.objects.filter(email__iexact=email).exists():
            raise DomainError(
                "An account with this email address already exists: choose the existing "
                "patient, or leave the email empty."
            )
        user = User.objects.create_user(email, None, full_name=full_name, role=Role.PATIENT)
    patient = Patient(
        user=user,
        full_name=full_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        address=address.strip(),
        city=city.strip(),
        state=state.strip(),
        postal_code=postal_code.strip(),
        phone=phone.strip(),
        email=email,
        id_document_type=id_document_type,
    )
    patient.set_identity_number(id_document_number)
    patient.full_clean()
    patient.save()
    if user is not None:
        inviter = actor.full_name
        transaction.on_commit(lambda: _invite_or_log(patient=patient, invited_by=inviter))
    return patient


def invitation_url(user: User) -> str:
    """The single-use link to choose a password (allauth's reset-from-key page)."""
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def _invite_or_log(*, patient: Patient, invited_by: str) -> None:
    # The patient and the request are stored whatever the mail server does; a failed
    # invitation is logged, and the patient can use "Forgotten your password?" later.
    try:
        patient_invite(patient=patient, invited_by=invited_by)
    except Exception:
        log.exception("Could not send the invitation to patient %s", patient.pk)


def patient_invite(*, patient: Patient, invited_by: str) -> None:
    """Email the patient a link to set the password of their tracker account. Runs
    after the commit that created the account (never inside a transaction)."""
    if patient.user is None:
        return
    context = {
        "patient": patient,
        "invited_by": invited_by,
        "url": invitation_url(patient.user),
        "service_name": settings.NPP_SERVICE_NAME,
        "service_phone": settings.NPP_SERVICE_PHONE,
    }
    subject = render_to_string("orders/email/invitation-subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("orders/email/invitation-body.txt", context),
        to=[patient.user.email],
    )
    message.attach_alternative(
        render_to_string("orders/email/invitation-body.html", context), "text/html"
    )
    message.send()


# --- Reads for the physician's pages ----------------------------------------------------


def physician_cases(user: User) -> QuerySet[ImportCase]:
    """The physician's cases, those waiting on them first (a draft to finish, a
    question to answer, an undertaking to sign), then the most recently moved."""
    signed = Signature.objects.filter(
        document__case=OuterRef("pk"),
        document__kind=DocumentKind.PHYSICIAN_UNDERTAKING,
        document__superseded_by__isnull=True,
        signer=user,
    )
    waiting = Case(
        When(status__in=[S.DRAFT, S.INFORMATION_REQUESTED], then=Value(0)),
        When(Q(status=S.FORMS_PREPARATION) & ~Exists(signed), then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        cases_visible_to(user)
        .select_related("patient", "product")
        .annotate(waiting=waiting)
        .order_by("waiting", "-state_changed_at", "-pk")
    )


WAITING_ON_PHYSICIAN = {
    S.DRAFT: "Finish and submit the request",
    S.INFORMATION_REQUESTED: "Answer the coordinator's question",
    S.FORMS_PREPARATION: "Sign the undertaking",
}


def open_question(case: ImportCase) -> CaseEvent | None:
    """The coordinator's question the physician has to answer, if any."""
    if case.status != S.INFORMATION_REQUESTED:
        return None
    return (
        case.events.filter(transition="request_information").order_by("-created_at", "-pk").first()
    )


def current_undertaking(case: ImportCase) -> Document | None:
    return case.documents.current().filter(kind=DocumentKind.PHYSICIAN_UNDERTAKING).first()


def undertaking_signature(case: ImportCase) -> Signature | None:
    undertaking = current_undertaking(case)
    if undertaking is None:
        return None
    return undertaking.signatures.filter(
        signer_id=case.physician.user_id, meaning=SignatureMeaning.AUTHORSHIP
    ).first()


# --- Writes -------------------------------------------------------------------------------


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
        raise GuardFailed("resubmit", ["the answer to the coordinator's question"])
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
    undertaking: Upload | None,
) -> Signature:
    """The physician signs their undertaking on the case (adding it first if given)
    with their typed name and password; the time and address are recorded."""
    if not actor.check_password(password or ""):
        # Checked before anything is stored, so a wrong password adds nothing.
        raise DomainError("The password is not correct; nothing was signed.")
    if undertaking is not None:
        document_upload(
            case=case,
            kind=DocumentKind.PHYSICIAN_UNDERTAKING,
            content=undertaking.content,
            filename=undertaking.filename,
            actor=actor,
        )
    document = current_undertaking(case)
    if document is None:
        raise DomainError("Add your undertaking (PDF) to sign it.")
    return document_sign(
        document=document,
        signer=actor,
        password=password,
        printed_name=printed_name,
        meaning=SignatureMeaning.AUTHORSHIP,
        ip_address=ip_address,
    )
