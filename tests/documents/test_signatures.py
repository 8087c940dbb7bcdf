"""Electronic signatures bind a person, a meaning and a moment to exact bytes."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import PermissionDenied

from documents.models import DocumentKind, ReviewStatus, Signature, SignatureMeaning
from documents.services import document_upload
from documents.signatures import document_sign, name_key, signature_verifies
from orders.errors import DomainError, InvalidInput
from tests.conftest import PASSWORD
from tests.documents import files

K = DocumentKind
M = SignatureMeaning


@pytest.fixture
def undertaking(draft_case, physician):
    return document_upload(
        case=draft_case,
        kind=K.PHYSICIAN_UNDERTAKING,
        content=files.pdf("I undertake"),
        filename="undertaking.pdf",
        actor=physician.user,
    )


def sign(document, user, password=PASSWORD, meaning=M.AUTHORSHIP, name="Anil Rao"):
    return document_sign(
        document=document, signer=user, password=password, printed_name=name, meaning=meaning
    )


def test_the_physician_signs_their_undertaking_with_their_password(undertaking, physician):
    signature = sign(undertaking, physician.user, name="  Anil   Rao ")

    assert signature.printed_name == "Anil Rao"
    assert signature.meaning == M.AUTHORSHIP
    assert signature.content_sha256 == undertaking.sha256
    assert signature.signed_at is not None
    assert signature_verifies(signature)
    undertaking.refresh_from_db()
    assert undertaking.review_status == ReviewStatus.ACCEPTED


def test_a_wrong_password_signs_nothing(undertaking, physician):
    with pytest.raises(DomainError, match="password"):
        sign(undertaking, physician.user, password="wrong")
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    ("who", "meaning"),
    [("patient", M.AUTHORSHIP), ("other_physician", M.AUTHORSHIP), ("physician", M.RELEASE)],
)
def test_only_the_right_person_may_sign_with_the_right_meaning(request, undertaking, who, meaning):
    persona = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        sign(undertaking, persona.user, meaning=meaning)
    assert Signature.objects.count() == 0


def test_a_signature_stops_verifying_when_the_signed_file_changes(undertaking, physician):
    signature = sign(undertaking, physician.user)

    with open(undertaking.file.path, "ab") as stored:
        stored.write(b"an extra clause")

    assert not signature_verifies(signature)


def test_a_signature_moved_to_another_record_no_longer_verifies(undertaking, physician, draft_case):
    signature = sign(undertaking, physician.user)
    other = document_upload(
        case=draft_case,
        kind=K.MEDICAL_REPORT,
        content=files.pdf("I undertake"),
        filename="other.pdf",
        actor=physician.user,
    )
    assert other.sha256 == undertaking.sha256  # same bytes, different record

    Signature.objects.filter(pk=signature.pk).update(document=other)
    signature.refresh_from_db()

    assert not signature_verifies(signature)


def test_a_signature_with_a_changed_name_or_meaning_no_longer_verifies(undertaking, physician):
    signature = sign(undertaking, physician.user)
    Signature.objects.filter(pk=signature.pk).update(printed_name="Someone Else")
    signature.refresh_from_db()
    assert not signature_verifies(signature)


def test_the_patient_gives_consent_by_signing(consent, patient):
    signature = sign(consent, patient.user, meaning=M.CONSENT, name="Priya Menon")
    assert signature_verifies(signature)


def test_a_superseded_version_cannot_be_signed(undertaking, physician, draft_case):
    document_upload(
        case=draft_case,
        kind=K.PHYSICIAN_UNDERTAKING,
        content=files.pdf("v2"),
        filename="u2.pdf",
        actor=physician.user,
    )
    with pytest.raises(DomainError, match="newer version"):
        sign(undertaking, physician.user)


@pytest.fixture
def consent(draft_case, patient):
    return document_upload(
        case=draft_case,
        kind=K.PATIENT_CONSENT,
        content=files.pdf("I consent"),
        filename="consent.pdf",
        actor=patient.user,
    )


@pytest.mark.parametrize(
    ("typed", "on_record"),
    [
        ("  priya   MENON ", "Priya Menon"),
        ("Dr Anil Rao", "Anil Rao"),
        ("dr. anil rao", "Dr Anil Rao"),
        ("Dr.Anil Rao", "Anil Rao"),
        ("डॉ. अनिल राव", "अनिल राव"),
        (unicodedata.normalize("NFD", "Zoë Menon"), "Zoë Menon"),
    ],
)
def test_a_name_is_the_same_whatever_its_case_spacing_title_or_unicode_form(typed, on_record):
    assert name_key(typed) == name_key(on_record)


@pytest.mark.parametrize(
    ("typed", "on_record"),
    [
        ("Someone Else", "Priya Menon"),
        ("Priya", "Priya Menon"),
        ("Priya Menon Rao", "Priya Menon"),
        ("Priya Menen", "Priya Menon"),
        ("Zoe Menon", "Zoë Menon"),
        ("Drew Smith", "Ew Smith"),
        ("PriyaMenon", "Priya Menon"),
    ],
)
def test_another_spelling_is_another_name(typed, on_record):
    assert name_key(typed) != name_key(on_record)


def test_a_name_not_the_signers_is_refused_on_its_field_and_signs_nothing(undertaking, physician):
    with pytest.raises(InvalidInput) as refused:
        sign(undertaking, physician.user, name="Bela Shah")

    [message] = refused.value.errors["printed_name"]
    assert message.startswith("That is not your name on record (Anil Rao)")
    assert Signature.objects.count() == 0


def test_her_name_typed_in_another_unicode_form_prints_as_on_record(consent, patient):
    patient.full_name = "Zoë Menon"
    patient.save()

    signature = sign(consent, patient.user, meaning=M.CONSENT, name="zoe\u0308  menon")

    assert signature.printed_name == "Zoë Menon"
    assert signature_verifies(signature)


def test_with_no_name_on_record_nothing_is_signed(consent, patient):
    """An empty name on record would take any name typed: refused, naming the fix."""
    patient.full_name = ""
    patient.save()

    with pytest.raises(InvalidInput, match="No name is on record for you"):
        sign(consent, patient.user, meaning=M.CONSENT, name="Anyone At All")
    assert Signature.objects.count() == 0
