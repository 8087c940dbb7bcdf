"""The demo seed: the same data every time, every case reached by real transitions."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.management import call_command

from documents.models import Document
from npp.accounts.models import Role, User
from orders.models import CaseEvent, ImportCase, Patient, Physician, Shipment, Verification
from orders.states import CaseStatus
from portals.management.commands.seed_demo import (
    ADMIN_URL,
    COORDINATOR_EMAIL,
    PASSWORD,
    PHYSICIANS,
)

S = CaseStatus
DEMO_LOGINS = [
    COORDINATOR_EMAIL,
    "dr.rao@demo.npp",
    "dr.shah@demo.npp",
    "priya@demo.npp",
    "omar@demo.npp",
    "lakshmi@demo.npp",
]


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [User, Physician, Patient, ImportCase, CaseEvent, Document, Shipment, Verification]
    return {model.__name__: model.objects.count() for model in models}


def demo_cases():
    emails = [physician.email for physician in PHYSICIANS]
    return ImportCase.objects.filter(physician__user__email__in=emails)


@pytest.fixture
def seeded(catalogue) -> str:
    return seed()


def test_seeding_twice_changes_nothing_the_second_time(catalogue):
    seed()
    first = counts()
    statuses = dict(demo_cases().values_list("reference", "status"))

    output = seed()

    assert counts() == first
    assert dict(demo_cases().values_list("reference", "status")) == statuses
    assert "nothing changed" in output


def test_every_listed_state_has_a_demo_case(seeded):
    present = set(demo_cases().values_list("status", flat=True))

    assert present == set(S.values)
    assert demo_cases().count() >= 12


def test_every_demo_case_has_a_history_from_create_to_its_status(seeded):
    for case in demo_cases():
        events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "pk"))
        assert events[0].transition == CaseEvent.CREATED, case.reference
        assert events[-1].to_state == case.status, case.reference
        # Each step starts where the previous one ended: a true, unbroken history.
        for before, after in itertools.pairwise(events):
            assert after.from_state == before.to_state, (case.reference, after.transition)


def test_off_path_cases_carry_their_question_or_reason(seeded):
    notes = {
        case.status: CaseEvent.objects.filter(case=case).order_by("-created_at", "-pk")[0].note
        for case in demo_cases().filter(
            status__in=[S.INFORMATION_REQUESTED, S.REJECTED, S.CANCELLED, S.ON_HOLD, S.QUARANTINED]
        )
    }

    assert len(notes) == 5
    assert all(note.strip() for note in notes.values())


def test_the_resupply_case_points_at_the_closed_first_supply(seeded):
    resupply = demo_cases().get(resupply_of__isnull=False)

    assert resupply.resupply_of.status == S.CLOSED
    assert resupply.resupply_of.patient == resupply.patient


@pytest.mark.parametrize("email", DEMO_LOGINS)
def test_each_demo_person_signs_in_with_the_demo_password(seeded, client, email):
    assert client.login(email=email, password=PASSWORD)


def test_the_demo_coordinator_can_open_the_admin(seeded, client):
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    assert coordinator.role == Role.COORDINATOR
    assert coordinator.is_staff and coordinator.is_superuser

    client.login(email=COORDINATOR_EMAIL, password=PASSWORD)

    assert client.get("/admin/orders/importcase/").status_code == 200


def test_demo_people_have_their_profiles_and_masked_identity_numbers(seeded):
    rao = Physician.objects.get(user__email="dr.rao@demo.npp")
    shah = Physician.objects.get(user__email="dr.shah@demo.npp")
    assert rao.registration_council == "NMC"
    assert shah.registration_council == "Maharashtra Medical Council"
    for email in ["priya@demo.npp", "omar@demo.npp", "lakshmi@demo.npp"]:
        patient = Patient.objects.get(user__email=email)
        masked = patient.id_document_number_masked
        assert masked.startswith("XXXX") and masked[-4:].isalnum(), masked


def test_the_command_prints_the_admin_address_and_the_logins(catalogue):
    output = seed()

    assert ADMIN_URL in output
    assert PASSWORD in output
    for email in DEMO_LOGINS:
        assert email in output
