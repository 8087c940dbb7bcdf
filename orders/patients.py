"""Patients a physician brings, the supply a quantity gives, and the invitation that
lets a patient follow their import.

A new patient with an email address gets an account with no usable password and an
invitation to choose one (the same signed, single-use link as a password reset);
a patient without one is followed through their physician.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from npp.accounts.languages import LANGUAGE_CODES, in_language_of, language_of
from npp.accounts.models import Role, User
from orders.errors import DomainError
from orders.models import Pathway, Patient, Physician, Product, days_of_supply

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


def patients_like(
    physician: Physician,
    *,
    full_name: str = "",
    date_of_birth: dt.date | None = None,
    id_number: str = "",
) -> QuerySet[Patient]:
    """The physician's patients who may be the person about to be added: the same name
    and date of birth, or an identity number ending in the same four characters."""
    same = Q(pk__in=[])
    name = " ".join((full_name or "").split())
    if name and date_of_birth:
        same |= Q(full_name__iexact=name, date_of_birth=date_of_birth)
    characters = "".join(ch for ch in id_number or "" if ch.isalnum())
    if len(characters) > 4:  # as mask_identity_number keeps them
        same |= Q(id_document_number_masked__endswith=characters[-4:])
    return patients_of(physician).filter(same)


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
    occupation: str = "",
    language: str = "",
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
        user = User.objects.create_user(
            email,
            None,
            full_name=full_name,
            role=Role.PATIENT,
            # The language the invitation, the tracker and the papers are written in.
            language=language_of(None) if language not in LANGUAGE_CODES else language,
        )
    patient = Patient(
        user=user,
        full_name=full_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        occupation=(occupation or "").strip(),
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
    # The page it opens is in the patient's language before she has signed in.
    return settings.SITE_URL.rstrip("/") + path + f"?lang={language_of(user)}"


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
    with in_language_of(patient.user):
        subject = render_to_string("orders/email/invitation-subject.txt", context).strip()
        body = render_to_string("orders/email/invitation-body.txt", context)
        html = render_to_string("orders/email/invitation-body.html", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[patient.user.email])
    message.attach_alternative(html, "text/html")
    message.send()
