"""The coordinators' search finds a case by anything they may quote, in every state,
and the search document follows every change of what it holds."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import CaseSearch, ImportCase, Shipment
from orders.states import CaseStatus
from tests.conftest import make_patient, make_physician, new_case
from tests.portals.coordinator_helpers import signed_in

S = CaseStatus
QUEUE = reverse("orders:coordinator-queue")


@pytest.fixture
def cora(coordinator):
    return signed_in(coordinator)


def found(client, q: str, **params) -> set[str]:
    # Posted, as the queue's form does: the term never travels in a URL.
    response = client.post(QUEUE, {"q": q, **params}, follow=True)
    assert response.status_code == 200
    return {row.reference for row in response.context["page"].rows}


@pytest.fixture
def delivered(case_in) -> ImportCase:
    case = case_in(S.DELIVERED)
    ImportCase.objects.filter(pk=case.pk).update(regulator_reference="SUGAM/2026/NP/88123")
    return ImportCase.objects.get(pk=case.pk)


@pytest.fixture
def decoy(other_physician, other_patient, lupkynis) -> ImportCase:
    """Another case, so that a search that finds everything fails."""
    other_patient.phone = "+91 77777 22222"
    other_patient.set_identity_number("5555 6666 7777")
    other_patient.save()
    return new_case(physician=other_physician, patient=other_patient, product=lupkynis)


def quoted(case: ImportCase) -> dict[str, str]:
    """Each identifier a coordinator may quote, as they would type it."""
    shipment = case.shipments.get()
    return {
        "reference": case.reference,
        "reference, lower case": case.reference.lower(),
        "end of the reference": case.reference[-5:],
        "surname": "Menon",
        "full name": "priya menon",
        "phone as written": "+91 98450 00000",
        "phone without the country code": "98450-00000",
        "identity last four": "9012",
        "physician": "Anil Rao",
        "regulator reference": "SUGAM/2026/NP/88123",
        "permit number": case.permit_number,
        "bill of entry": case.bill_of_entry_number,
        "lot delivered": case.delivered_lot,
        "lot shipped": shipment.batch_number,
        "AWB": shipment.tracking_number,
    }


@pytest.mark.parametrize("state", list(S))
def test_search_finds_a_case_by_every_identifier_in_every_state(cora, delivered, decoy, state):
    identifiers = quoted(delivered)
    ImportCase.objects.filter(pk=delivered.pk).update(status=state)

    missed = {what: q for what, q in identifiers.items() if found(cora, q) != {delivered.reference}}

    assert missed == {}
    # The state filter still narrows a search.
    other = S.CLOSED if state != S.CLOSED else S.DRAFT
    assert found(cora, "Menon", state=state) == {delivered.reference}
    assert found(cora, "Menon", state=other) == set()


def test_the_search_document_follows_the_patient_the_shipment_and_the_case(cora, delivered):
    patient = delivered.patient
    patient.full_name = "Priya Nair"
    patient.phone = "+91 99000 11122"
    patient.save()
    shipment = delivered.shipments.get()
    Shipment.objects.filter(pk=shipment.pk).update(tracking_number="AWB-NEW-777")
    ImportCase.objects.filter(pk=delivered.pk).update(permit_number="12B/NEW/1")

    assert found(cora, "Nair") == {delivered.reference}
    assert found(cora, "menon") == set()
    assert found(cora, "9900011122") == {delivered.reference}
    assert found(cora, "AWB-NEW-777") == {delivered.reference}
    assert found(cora, shipment.tracking_number) == set()
    assert found(cora, "12B/NEW/1") == {delivered.reference}


def test_a_new_case_is_searchable_at_once_and_a_word_order_does_not_matter(cora, draft_case):
    assert found(cora, "menon priya") == {draft_case.reference}
    assert CaseSearch.objects.filter(case=draft_case).exists()


def test_search_needs_three_characters_and_says_so(cora, draft_case):
    response = cora.post(QUEUE, {"q": "pr"}, follow=True)
    assert "Type at least three" in response.content.decode()


def test_a_full_reference_that_does_not_exist_finds_nothing(cora, draft_case):
    assert found(cora, "NPP-1999-00001") == set()


def test_search_results_page_newest_first(cora, physician, lupkynis):
    patients = [make_patient(None, f"Zara Quill {i}") for i in range(30)]
    cases = [new_case(physician=physician, patient=p, product=lupkynis) for p in patients]
    searched = cora.post(QUEUE, {"q": "zara quill"}, follow=True)
    url = searched.redirect_chain[-1][0]  # the term is behind a token in the session
    first = searched.context["page"]
    second = cora.get(f"{url}&after={first.next_cursor}").context["page"]
    listed = [row.reference for row in first.rows + second.rows]
    assert listed == [case.reference for case in reversed(cases)]
    back = cora.get(f"{url}&before={second.previous_cursor}").context["page"]
    assert [row.reference for row in back.rows] == [row.reference for row in first.rows]


def test_the_physician_filter_takes_a_name_and_suggests_names(cora, case_in, lupkynis, patient):
    submitted = case_in(S.SUBMITTED)
    shah = make_physician("k.shah@h.example", "Kiran Shahani", "R-77")
    theirs = new_case(physician=shah, patient=patient, product=lupkynis)
    ImportCase.objects.filter(pk=theirs.pk).update(status=S.SUBMITTED)

    def listed(**params):
        return {row.reference for row in cora.get(QUEUE, params).context["page"].rows}

    assert listed(physician="Dr Kiran Shahani") == {theirs.reference}
    assert listed(physician="anil") == {submitted.reference}
    assert listed(physician=str(shah.pk)) == {theirs.reference}
    answer = cora.get(reverse("orders:coordinator-physicians"), {"q": "sha"}).json()
    assert answer == {"names": ["Kiran Shahani"]}
    assert cora.get(reverse("orders:coordinator-physicians"), {"q": "a"}).json() == {"names": []}
