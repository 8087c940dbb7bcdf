"""Electronic signatures: the signer proves who they are at the moment of signing
(password re-entry) and the record binds them to the exact bytes they signed."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import time_format
from django.utils.translation import gettext as _

from documents.models import (
    Document,
    DocumentKind,
    ReviewStatus,
    Signature,
    SignatureMeaning,
    SignerCapacity,
)
from documents.seals import current_key_id, seal
from documents.services import papers_changed
from npp.accounts.reentry import password_reentry
from orders import permissions as perm
from orders.errors import DomainError, InvalidInput

M = SignatureMeaning
C = SignerCapacity

# What each party may sign, and meaning what.
_RULES = {
    "physician": {DocumentKind.PHYSICIAN_UNDERTAKING: {M.AUTHORSHIP}},
    "patient": {DocumentKind.PATIENT_CONSENT: {M.CONSENT}},
}
_COORDINATOR_MEANINGS = {M.APPROVAL, M.RELEASE}
# A quality release is signed on the quality release statement, and only there.
_ONLY_ON = {M.RELEASE: DocumentKind.QUALITY_RELEASE}


def may_sign(user, document: Document, meaning: str) -> bool:
    return may_sign_kind(user, document.case, document.kind, meaning)


def may_sign_kind(user, case, kind: str, meaning: str) -> bool:
    """Whether `user` may sign a `kind` paper of `case` meaning `meaning`: asked before
    a paper is generated for them to sign, and again on the paper itself."""
    if meaning in _ONLY_ON and kind != _ONLY_ON[meaning]:
        return False
    if perm.is_coordinator(case, user):
        return meaning in _COORDINATOR_MEANINGS
    if perm.is_case_physician(case, user):
        return meaning in _RULES["physician"].get(kind, set())
    if perm.is_case_patient(case, user):
        return meaning in _RULES["patient"].get(kind, set())
    return False


def signing_password_check(signer, password: str) -> None:
    """The signer's password, typed again to sign, limited like sign-in: after too many
    wrong ones the account may not sign, whatever is typed, until the cool-off ends,
    and its owner is told (npp.accounts.reentry). Raises DomainError when refused.

    Call it outside any transaction: the owner's alert must outlive the refusal."""
    result = password_reentry(signer, password, purpose="signing")
    if result.accepted:
        return
    if result.locked_until is not None:
        until = time_format(timezone.localtime(result.locked_until), "H:i")
        raise DomainError(
            _(
                "Too many wrong passwords: signing with this account is paused until "
                "%(time)s, and the account's owner has been told by email. Nothing was "
                "signed."
            )
            % {"time": until}
        )
    raise DomainError(_("The password is not correct; nothing was signed."))


def document_sign(
    *,
    document: Document,
    signer,
    password: str,
    printed_name: str,
    meaning: str,
    ip_address: str | None = None,
    capacity: str = "",
) -> Signature:
    """`capacity` is for consent: the patient signs their own, and a minor's is signed
    by a parent or legal guardian under their own printed name."""
    if not may_sign(signer, document, meaning):
        raise PermissionDenied(_("You may not sign this document with that meaning."))
    if document.case.is_locked:
        raise DomainError(_("The case is closed: nothing more can be signed on it."))
    if _superseded(document):
        raise DomainError(_("A newer version of this document exists: sign that one."))
    capacity = signer_capacity(document.case, meaning, capacity)
    printed_name = signer_confirmed(
        case=document.case,
        signer=signer,
        password=password,
        printed_name=printed_name,
        meaning=meaning,
        capacity=capacity,
    )
    return _signature_record(
        document=document,
        signer=signer,
        printed_name=printed_name,
        meaning=meaning,
        ip_address=ip_address,
        capacity=capacity,
    )


def signer_capacity(case, meaning: str, capacity: str) -> str:
    """The capacity a consent is signed in, checked against the patient's age today;
    empty for every other signature. Raises DomainError naming what is wrong."""
    if meaning != M.CONSENT:
        if capacity:
            raise DomainError(_("Only a patient's consent is signed in a capacity."))
        return ""
    patient = case.patient
    if patient.is_minor(timezone.localdate()):
        if capacity not in (C.PARENT, C.GUARDIAN):
            raise DomainError(
                _(
                    "%(name)s is under %(age)s: a parent or legal guardian signs the "
                    "consent, with their own name, and says which they are."
                )
                % {"name": patient.full_name, "age": patient.AGE_OF_MAJORITY}
            )
        return capacity
    if capacity not in ("", C.PATIENT):
        raise DomainError(
            _("%(name)s is an adult and signs the consent themself.") % {"name": patient.full_name}
        )
    return C.PATIENT


# A doctor's title before a name is not part of it: "Dr Anil Rao", "Dr. Anil Rao" and
# "डॉ. अनिल राव" are typed by the person whose name on record has no title (or has one).
_TITLE = re.compile(r"^(?:(?:dr|doctor|डॉ|डॉक्टर)\.?\s+|(?:dr|डॉ)\.)")


def name_key(name: str) -> str:
    """`name` as two names are compared: the same letters (Unicode NFC), any case, one
    space between words, without a leading doctor's title. Nothing looser: another
    spelling is another name."""
    text = " ".join(unicodedata.normalize("NFC", name or "").split()).casefold()
    return unicodedata.normalize("NFC", " ".join(_TITLE.sub("", text, count=1).split()))


def signer_confirmed(
    *, case, signer, password: str, printed_name: str, meaning: str, capacity: str = ""
) -> str:
    """The name a signature prints (signer_printed_name), once the signer's typed name
    and then their password (signing_password_check, which counts it) are checked:
    every way to sign calls this before it renders or stores anything, so that a name
    not theirs or a wrong password leaves nothing behind."""
    printed = signer_printed_name(
        case=case, signer=signer, meaning=meaning, capacity=capacity, printed_name=printed_name
    )
    signing_password_check(signer, password)
    return printed


def signer_printed_name(*, case, signer, meaning: str, capacity: str, printed_name: str) -> str:
    """The name a signature prints: the signer's own name on record, which they type to
    sign, compared forgivingly (name_key). Returns it as on record, so that the paper
    shows the name the identity checks know, however it was typed.

    Whose name: an adult patient's consent, the patient's (Patient.full_name); a minor's,
    the account holder's, a parent or guardian using the patient's account
    (User.full_name); the physician's undertaking, the physician's registration name or
    their account's; a coordinator's signature, their account's. Raises InvalidInput on
    `printed_name` (shown beside that field) when another name, or none, is typed, or
    when no name is on record to check it against: a name nobody can check is not a
    signature's printed name.

    One exception: a minor's account still in the minor's own name (as patient_create
    opens it) records no parent or guardian, so the one signing declares their own
    name, with their capacity, under the account's password; any name but the child's.
    Refusing them would leave a child's consent to paper alone."""
    typed = name_key(printed_name)
    if not typed:
        raise InvalidInput({"printed_name": [_("Type your full name to sign.")]})
    if _guardian_declares_name(case, signer, meaning, capacity):
        if typed == name_key(case.patient.full_name):
            raise InvalidInput(
                {
                    "printed_name": [
                        _(
                            "That is the patient's name: a parent or guardian signs with "
                            "their own full name. Nothing was signed."
                        )
                    ]
                }
            )
        return " ".join(unicodedata.normalize("NFC", printed_name).split())
    on_record = _names_on_record(case, signer, meaning, capacity)
    for name in on_record:
        if name_key(name) == typed:
            return " ".join(unicodedata.normalize("NFC", name).split())
    raise InvalidInput(
        {
            "printed_name": [
                _(
                    "That is not your name on record (%(name)s): a signature carries the "
                    "signer's own name. Nothing was signed."
                )
                % {"name": on_record[0]}
            ]
        }
    )


def _guardian_declares_name(case, signer, meaning: str, capacity: str) -> bool:
    """A parent or guardian signing a minor's consent on an account that names no one
    but the patient (or no one): their name can only be declared."""
    account = name_key(signer.full_name)
    return (
        meaning == M.CONSENT
        and capacity != C.PATIENT
        and (not account or account == name_key(case.patient.full_name))
    )


def _names_on_record(case, signer, meaning: str, capacity: str) -> list[str]:
    """The signer's own names on record for this signature, at least one, or refused."""
    if meaning == M.CONSENT and capacity == C.PATIENT:
        names = [case.patient.full_name]
    elif meaning == M.CONSENT:  # a parent or guardian, under the account holder's name
        names = [signer.full_name]
    elif meaning == M.AUTHORSHIP and case.physician.user_id == signer.pk:
        names = [case.physician.full_name, signer.full_name]
    else:
        names = [signer.full_name]
    names = [" ".join(name.split()) for name in names if name_key(name)]
    if not names:
        raise InvalidInput(
            {
                "printed_name": [
                    _(
                        "No name is on record for you, so the name you type cannot be "
                        "checked: ask the service to record your full name, then sign. "
                        "Nothing was signed."
                    )
                ]
            }
        )
    return names


@transaction.atomic
def _signature_record(
    *,
    document: Document,
    signer,
    printed_name: str,
    meaning: str,
    ip_address: str | None,
    capacity: str = "",
) -> Signature:
    with document.file.open("rb") as stored:
        content_sha256 = hashlib.sha256(stored.read()).hexdigest()
    if content_sha256 != document.sha256:
        raise DomainError(_("The stored document failed its integrity check; it cannot be signed."))
    signed_at = timezone.now().replace(microsecond=0)
    key_id = current_key_id()
    signature = Signature.objects.create(
        document=document,
        signer=signer,
        printed_name=printed_name,
        meaning=meaning,
        capacity=capacity,
        signed_at=signed_at,
        content_sha256=content_sha256,
        key_id=key_id,
        seal=seal(
            key_id=key_id,
            document_id=document.pk,
            case_id=document.case_id,
            signer_id=signer.pk,
            printed_name=printed_name,
            meaning=meaning,
            signed_at_iso=signed_at.isoformat(),
            content_sha256=content_sha256,
            capacity=capacity,
        ),
        ip_address=ip_address,
    )
    # Signing one's own undertaking or consent is the review that matters for it.
    if document.review_status == ReviewStatus.PENDING and meaning in (M.AUTHORSHIP, M.CONSENT):
        document.review_status = ReviewStatus.ACCEPTED
        document.reviewed_by = signer
        document.reviewed_at = signed_at
        document.save(update_fields=["review_status", "reviewed_by", "reviewed_at"])
    papers_changed(document.case_id)
    return signature


def _superseded(document: Document) -> bool:
    return Document.objects.filter(supersedes=document).exists()


def signature_verifies(signature: Signature) -> bool:
    return signature.verifies()
