"""The release after a quarantine is the coordinator's quality decision, signed
electronically with the meaning "quality release" and shown on the case record."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from documents.generation.case_record import case_record_data
from documents.generation.quality_release import quality_release_sign
from documents.models import DocumentKind, Signature, SignatureMeaning
from orders.errors import DomainError, GuardFailed
from orders.states import CaseStatus
from tests.conftest import PASSWORD
from tests.orders.helpers import NOTES, assert_unchanged, reach, refuse, stored
from tests.portals.coordinator_helpers import action_url, case_url, signed_in, transition_post

pytestmark = pytest.mark.django_db
S = CaseStatus
K = DocumentKind


@pytest.fixture
def quarantined(case_in, coordinator):
    return reach(case_in, coordinator, S.QUARANTINED)


def release(case, coordinator, *, password=PASSWORD, decision=NOTES["release"]):
    return quality_release_sign(
        case=case,
        actor=coordinator,
        decision=decision,
        printed_name="Cora Coordinator",
        password=password,
    )


def test_release_without_the_quality_release_signature_is_refused_naming_it(
    quarantined, coordinator
):
    error = refuse(quarantined, coordinator, "release", note=NOTES["release"])

    assert 'electronic signature meaning "quality release"' in str(error)


def test_a_signed_release_moves_the_goods_and_seals_the_decision(quarantined, coordinator):
    moved = release(quarantined, coordinator)

    assert moved.status == S.OUT_FOR_DELIVERY
    assert moved.events.last().note == NOTES["release"]
    signature = Signature.objects.get(meaning=SignatureMeaning.RELEASE)
    assert signature.signer == coordinator
    assert signature.printed_name == "Cora Coordinator"
    assert signature.verifies()
    statement = signature.document
    assert statement.kind == K.QUALITY_RELEASE
    with statement.file.open("rb") as stored_file:
        text = "".join(page.extract_text() for page in PdfReader(stored_file).pages)
    assert "Quality release after quarantine" in text
    assert "excursion within the stability data" in text
    assert NOTES["quarantine"][:30] in text


def test_the_case_record_shows_the_quality_release_signature(quarantined, coordinator):
    release(quarantined, coordinator)

    record = case_record_data(quarantined)

    [entry] = [s for s in record["signatures"] if s["meaning"] == "Quality release"]
    assert entry["printed_name"] == "Cora Coordinator"
    assert entry["document"] == "Quality release, version 1"
    assert entry["verifies"]
    assert entry["signed_at"]


@pytest.mark.parametrize(
    ("password", "decision", "refusal"),
    [
        ("wrong", NOTES["release"], "password is not correct"),
        (PASSWORD, "  ", "the quality decision and its reason"),
    ],
)
def test_a_release_without_the_password_or_the_decision_stores_nothing(
    quarantined, coordinator, password, decision, refusal
):
    before = stored(quarantined)

    with pytest.raises((DomainError, GuardFailed), match=refusal):
        release(quarantined, coordinator, password=password, decision=decision)

    assert_unchanged(quarantined, before)
    assert not Signature.objects.filter(meaning=SignatureMeaning.RELEASE).exists()


def test_the_coordinator_signs_the_release_on_the_case_page(quarantined, coordinator):
    office = signed_in(coordinator)
    page = office.get(case_url(quarantined)).content.decode()
    assert 'name="release-password"' in page

    refused = office.post(
        action_url(quarantined, "release"),
        transition_post(quarantined, "release", note=NOTES["release"], printed_name="Cora"),
    )
    assert refused.status_code == 400
    assert not Signature.objects.filter(meaning=SignatureMeaning.RELEASE).exists()

    response = office.post(
        action_url(quarantined, "release"),
        transition_post(
            quarantined,
            "release",
            note=NOTES["release"],
            printed_name="Cora Coordinator",
            password=PASSWORD,
        ),
    )

    assert response.status_code == 302
    quarantined.refresh_from_db()
    assert quarantined.status == S.OUT_FOR_DELIVERY
    page = office.get(case_url(quarantined)).content.decode()
    assert "Signed electronically: Cora Coordinator" in page
    assert "Quality release" in page


def test_only_the_quality_release_statement_takes_the_release_meaning(quarantined, coordinator):
    from documents.signatures import document_sign
    from tests.orders.helpers import upload

    log = upload(quarantined, K.TEMPERATURE_LOG, coordinator)

    with pytest.raises(Exception, match="may not sign"):
        document_sign(
            document=log,
            signer=coordinator,
            password=PASSWORD,
            printed_name="Cora",
            meaning=SignatureMeaning.RELEASE,
        )


def test_the_release_through_the_api_takes_the_signature_with_it(quarantined, coordinator):
    from tests.api.conftest import client_for

    api = client_for(coordinator)
    url = f"/api/v1/cases/{quarantined.reference}/transitions/release"

    unsigned = api.post(url, {"note": NOTES["release"]}, format="json")
    wrong = api.post(
        url,
        {"note": NOTES["release"], "printed_name": "Cora Coordinator", "password": "nope"},
        format="json",
    )
    assert unsigned.status_code == 400  # the name and the password are required
    assert wrong.status_code == 400  # refused, as every DomainError
    assert "password is not correct" in wrong.json()["detail"]
    assert not Signature.objects.filter(meaning=SignatureMeaning.RELEASE).exists()

    signed = api.post(
        url,
        {"note": NOTES["release"], "printed_name": "Cora Coordinator", "password": PASSWORD},
        format="json",
    )

    assert signed.status_code == 200, signed.json()
    assert signed.json()["status"] == S.OUT_FOR_DELIVERY
    signature = Signature.objects.get(meaning=SignatureMeaning.RELEASE)
    assert (signature.printed_name, signature.signer) == ("Cora Coordinator", coordinator)
    assert "password" not in signed.content.decode()


def test_the_one_move_function_signs_a_signed_transition_whatever_calls_it(
    quarantined, coordinator
):
    """The page and the API both take a move through case_move: a release there is
    the signed quality decision, never a plain transition."""
    from documents.generation.quality_release import SIGNED_TRANSITIONS, case_move

    assert "release" in SIGNED_TRANSITIONS
    before = stored(quarantined)
    with pytest.raises(DomainError, match="password is not correct"):
        case_move(
            case=quarantined,
            actor=coordinator,
            transition="release",
            note=NOTES["release"],
            printed_name="Cora Coordinator",
            password="",
        )
    assert_unchanged(quarantined, before)
    assert not Signature.objects.filter(meaning=SignatureMeaning.RELEASE).exists()

    moved = case_move(
        case=quarantined,
        actor=coordinator,
        transition="release",
        note=NOTES["release"],
        printed_name="Cora Coordinator",
        password=PASSWORD,
    )

    assert moved.status == S.OUT_FOR_DELIVERY
    signature = Signature.objects.get(meaning=SignatureMeaning.RELEASE)
    assert signature.document.kind == K.QUALITY_RELEASE
    assert (signature.printed_name, signature.signer) == ("Cora Coordinator", coordinator)
    assert moved.events.latest("pk").note == NOTES["release"]


def test_a_release_signed_with_another_name_is_refused_by_the_api_and_the_page(
    quarantined, coordinator, tmp_path
):
    from tests.api.conftest import client_for

    url = f"/api/v1/cases/{quarantined.reference}/transitions/release"
    before = stored(quarantined)
    on_disk = sorted((tmp_path / "private").rglob("*"))

    api = client_for(coordinator).post(
        url,
        {"note": NOTES["release"], "printed_name": "Colin Coordinator", "password": PASSWORD},
        format="json",
    )
    page = signed_in(coordinator).post(
        action_url(quarantined, "release"),
        transition_post(
            quarantined,
            "release",
            note=NOTES["release"],
            printed_name="Someone Else",
            password=PASSWORD,
        ),
    )

    assert api.status_code == 400
    [refusal] = api.json()["errors"]["printed_name"]
    assert refusal.startswith("That is not your name on record (Cora Coordinator)")
    assert page.status_code == 400
    assert (
        '<p class="field-error" id="id_release-printed_name_error">That is not your name on '
        "record (Cora Coordinator)" in page.content.decode()
    )
    assert_unchanged(quarantined, before)
    assert not Signature.objects.filter(meaning=SignatureMeaning.RELEASE).exists()
    assert sorted((tmp_path / "private").rglob("*")) == on_disk


def test_the_api_signs_with_the_coordinators_name_as_on_record(quarantined, coordinator):
    from tests.api.conftest import client_for

    signed = client_for(coordinator).post(
        f"/api/v1/cases/{quarantined.reference}/transitions/release",
        {"note": NOTES["release"], "printed_name": " cora  COORDINATOR", "password": PASSWORD},
        format="json",
    )

    assert signed.status_code == 200, signed.json()
    assert Signature.objects.get(meaning=SignatureMeaning.RELEASE).printed_name == (
        "Cora Coordinator"
    )
