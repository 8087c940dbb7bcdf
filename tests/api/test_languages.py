"""The API's words for a person are in the caller's language (issue 12): a patient
signed in with her browser reads her order's state and her papers' names, and a
refusal, in Hindi; the codes stay the same."""

from __future__ import annotations

import pytest
from django.utils import translation

from orders.states import CaseStatus
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def _back_to_english():
    yield
    translation.activate("en")


@pytest.mark.parametrize(
    ("language", "patient_label", "status_label", "consent"),
    [
        ("en", "Out for delivery", "Out for delivery", "Patient consent"),
        ("hi", "डिलीवरी के लिए निकली है", "डिलीवरी के लिए निकली है", "मरीज़ की सहमति"),
    ],
)
def test_a_patient_reads_her_orders_words_in_her_language(
    case_in, patient, language, patient_label, status_label, consent
):
    case = case_in(S.OUT_FOR_DELIVERY)
    patient.user.language = language
    patient.user.save(update_fields=["language"])
    client = client_for(patient.user)

    data = client.get(f"/api/v1/cases/{case.reference}").json()
    papers = client.get(f"/api/v1/cases/{case.reference}/documents").json()

    assert data["status"] == "out_for_delivery"
    assert data["patient_status_label"] == patient_label
    assert data["status_label"] == status_label
    assert consent in {paper["kind_label"] for paper in papers}


def test_a_refusal_from_the_api_is_in_her_language(case_in, patient):
    case = case_in(S.OUT_FOR_DELIVERY)
    patient.user.language = "hi"
    patient.user.save(update_fields=["language"])
    client = client_for(patient.user)

    response = client.post(
        f"/api/v1/cases/{case.reference}/transitions/confirm_delivery",
        {"delivered_lot": "LOT99999Z"},
        format="json",
    )

    assert response.status_code in (400, 409, 422)
    problem = response.json()
    assert problem["type"] == "urn:npp:problem:guard-failed"
    assert problem["title"] == "इस काम की शर्तें अभी पूरी नहीं हुई हैं"
    assert "डिलीवरी की पुष्टि अभी संभव नहीं है" in problem["detail"]


@pytest.mark.parametrize(
    ("language", "detail"),
    [("en", "No such import case."), ("hi", "ऐसा कोई केस नहीं है।")],
)
def test_a_case_she_may_not_see_is_not_found_in_her_language(patient, language, detail):
    """Someone else's case answers as one that does not exist (tests/api/test_cases.py)."""
    patient.user.language = language
    patient.user.save(update_fields=["language"])

    response = client_for(patient.user).get("/api/v1/cases/NPP-1999-99999")

    assert response.status_code == 404
    assert response.json()["detail"] == detail


@pytest.mark.parametrize(
    ("language", "detail"), [("en", "No such resource."), ("hi", "ऐसा कुछ यहाँ नहीं है।")]
)
def test_a_path_the_api_does_not_have_is_not_found_in_her_language(patient, language, detail):
    patient.user.language = language
    patient.user.save(update_fields=["language"])

    response = client_for(patient.user).get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["detail"] == detail
