"""The demo seed: the same data every time, every case reached by real transitions."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.management import call_command
from django.urls import reverse

from documents.models import Document, DocumentKind, RenderJob, RenderStatus
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


def seed(*, papers: bool = False) -> str:
    """The seed as `make demo` runs it; without its papers unless asked (rendering
    every case's papers takes a minute on a small machine: one test checks them)."""
    out = io.StringIO()
    call_command("seed_demo", *([] if papers else ["--without-papers"]), stdout=out)
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


@pytest.mark.django_db(transaction=True)
def test_every_generated_paper_of_the_demo_is_ready_and_none_failed(catalogue, client_for):
    """Seeded as a person runs it: every commit's handlers ask for their papers, which
    the seed renders before each next step, so a closed case never holds one to render."""
    seed(papers=True)

    jobs = RenderJob.objects.filter(case__in=demo_cases())
    assert jobs.exists()
    assert not jobs.exclude(status__in=[RenderStatus.READY, RenderStatus.OUTDATED]).exists(), [
        (job.case.reference, job.kind, job.status, job.last_error)
        for job in jobs.exclude(status=RenderStatus.READY)
    ]
    for case in demo_cases():
        generated = Document.objects.current().filter(case=case, generated=True)
        for document in generated:
            # A real rendering (its job names it), not the walker's one-page stand-in.
            assert document.render_job.status == RenderStatus.READY, (case, document)
    closed = demo_cases().filter(status=S.CLOSED)
    assert closed.exists()
    for case in closed:
        kinds = set(
            Document.objects.current()
            .filter(case=case, generated=True)
            .values_list("kind", flat=True)
        )
        assert {
            DocumentKind.REGULATORY_APPLICATION,
            DocumentKind.PURCHASE_ORDER,
            DocumentKind.PATIENT_INFORMATION,
            DocumentKind.CASE_RECORD,
        } <= kinds, (case.reference, kinds)
        # The undertaking signed is the generated one, as the physician read it.
        undertaking = Document.objects.current().get(
            case=case, kind=DocumentKind.PHYSICIAN_UNDERTAKING
        )
        assert undertaking.generated and undertaking.signatures.exists(), case.reference

    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    client = client_for(coordinator)
    for case in demo_cases():
        response = client.get(reverse("orders:coordinator-case", args=[case.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        if jobs.filter(case=case).exists():
            assert "Generated documents" in page
        assert "Failed" not in page and "Re-run" not in page, case.reference
        admin = client.get(reverse("admin:orders_importcase_change", args=[case.pk]))
        assert admin.status_code == 200
        assert "Failed" not in admin.content.decode(), case.reference
    failed = client.get(reverse("admin:documents_renderjob_changelist"), {"status": "failed"})
    assert failed.status_code == 200
    assert failed.context["cl"].result_count == 0
