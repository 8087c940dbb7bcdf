"""Across the portals: CSRF, GETs that change nothing, fields a patient may not set,
the strict content security policy."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.models import AdverseEvent, ImportCase
from orders.states import CaseStatus
from tests.orders.helpers import assert_unchanged, stored

pytestmark = pytest.mark.django_db
S = CaseStatus


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_a_physicians_post_without_csrf_token_changes_nothing(physician, draft_case, lupkynis):
    client = csrf_client(physician.user)
    before = stored(draft_case)
    count = ImportCase.objects.count()

    responses = [
        client.post(f"/physician/cases/{draft_case.pk}/submit/"),
        client.post(f"/physician/cases/{draft_case.pk}/cancel/", {"reason": "x"}),
        client.post(
            f"/physician/cases/{draft_case.pk}/edit/",
            {"product": lupkynis.pk, "quantity_packs": "1"},
        ),
        client.post(
            "/physician/cases/new/", {"patient_choice": "existing", "product": lupkynis.pk}
        ),
    ]

    assert [r.status_code for r in responses] == [403] * 4
    assert_unchanged(draft_case, before)
    assert ImportCase.objects.count() == count


def test_a_patients_post_without_csrf_token_changes_nothing(patient, case_in):
    case = case_in("out_for_delivery")
    client = csrf_client(patient.user)

    response = client.post(f"/my/orders/{case.pk}/confirm-delivery/")

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY


def test_signing_out_without_csrf_token_does_not_sign_out(physician):
    client = csrf_client(physician.user)

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/physician/").status_code == 200


@pytest.mark.parametrize(
    "path",
    ["submit/", "cancel/", "answer/", "documents/", "resupply/"],
)
def test_a_get_on_a_physician_action_is_refused_and_changes_nothing(
    client, physician, draft_case, path
):
    client.force_login(physician.user)
    before = stored(draft_case)

    response = client.get(f"/physician/cases/{draft_case.pk}/{path}")

    assert response.status_code == 405
    assert_unchanged(draft_case, before)


@pytest.mark.parametrize("path", ["confirm-delivery/", "documents/"])
def test_a_get_on_a_patient_action_is_refused_and_changes_nothing(client, patient, case_in, path):
    case = case_in("out_for_delivery")
    client.force_login(patient.user)

    response = client.get(f"/my/orders/{case.pk}/{path}")

    assert response.status_code == 405
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY


def test_a_patient_cannot_set_fields_that_are_not_theirs(
    client, patient, case_in, coordinator, other_coordinator
):
    case = case_in("out_for_delivery")
    shipped_lot = case.current_shipment.batch_number
    client.force_login(patient.user)

    client.post(
        f"/my/orders/{case.pk}/confirm-delivery/",
        {
            "status": S.CLOSED,
            "assigned_coordinator": other_coordinator.pk,
            "quantity_packs": "99",
            "permitted_quantity_packs": "99",
            "delivered_to": "Someone else",
            "delivered_at": "2020-01-01 00:00",
            "daily_units": "1",
            "priority": "urgent",
        },
    )

    case.refresh_from_db()
    assert case.status == S.DELIVERED  # moved by the one transition offered, nothing else
    assert case.assigned_coordinator_id != other_coordinator.pk
    assert case.quantity_packs == 3
    assert case.permitted_quantity_packs != 99
    assert case.delivered_to == patient.full_name
    assert case.delivered_at.year != 2020
    assert case.delivered_lot == shipped_lot
    assert case.daily_units == 6
    assert case.priority == "normal"


def test_a_patient_side_effect_post_cannot_choose_the_reporter_or_case(
    client, patient, case_in, physician
):
    case = case_in("delivered")
    client.force_login(patient.user)

    client.post(
        f"/my/orders/{case.pk}/side-effect/",
        {
            "onset_date": "2026-01-01",
            "description": "Nausea",
            "seriousness": "non_serious",
            "reported_by": physician.user.pk,
            "outcome": "fatal",
            "due_on": "2099-01-01",
            "case": 999,
        },
    )

    report = AdverseEvent.objects.get()
    assert report.reported_by == patient.user
    assert report.case == case
    assert report.outcome == AdverseEvent.Outcome.UNKNOWN
    assert report.due_on.year != 2099


def test_portal_pages_carry_the_strict_content_security_policy(client, physician, draft_case):
    client.force_login(physician.user)

    response = client.get(f"/physician/cases/{draft_case.pk}/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    assert "<script>" not in html and "style=" not in html
    assert "no-store" in response["Cache-Control"]
