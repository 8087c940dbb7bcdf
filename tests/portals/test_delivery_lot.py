"""A lot number that does not match the shipment: the patient is told it does not
match and what to do, never which lot was shipped; the coordinator is told both."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentKind
from orders.models import CaseEvent
from orders.states import CaseStatus
from tests.orders.helpers import upload
from tests.portals.coordinator_helpers import action_url, signed_in, transition_post

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture
def out_for_delivery(case_in):
    return case_in(S.OUT_FOR_DELIVERY)


def test_a_patient_who_types_a_wrong_lot_is_not_shown_the_right_one(out_for_delivery, patient):
    case = out_for_delivery
    shipped = case.current_shipment.batch_number
    events = CaseEvent.objects.filter(case=case).count()
    priya = signed_in(patient.user)

    response = priya.post(
        reverse("orders:patient-case-confirm-delivery", args=[case.pk]),
        {"delivered_lot": "LOT99999Z"},
        follow=True,
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert shipped not in html
    assert "LOT99999Z was entered" in html
    assert "label" in html and settings.NPP_SERVICE_PHONE in html
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
    assert CaseEvent.objects.filter(case=case).count() == events
    # Nor on the page she opens next.
    again = priya.get(reverse("orders:patient-case", args=[case.pk]))
    assert shipped not in again.content.decode()


def test_the_coordinator_is_told_which_lot_was_shipped(out_for_delivery, coordinator):
    case = out_for_delivery
    shipped = case.current_shipment.batch_number
    upload(case, DocumentKind.PROOF_OF_DELIVERY, coordinator, accept_by=coordinator)
    cora = signed_in(coordinator)

    response = cora.post(
        action_url(case, "confirm_delivery"),
        transition_post(
            case,
            "confirm_delivery",
            delivered_to=case.patient.full_name,
            delivered_at=timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            delivered_lot="LOT99999Z",
        ),
    )

    assert response.status_code == 400
    form = next(
        t["form"] for t in response.context["transitions"] if t["name"] == "confirm_delivery"
    )
    errors = " ".join(form.non_field_errors())
    assert f"the lot that was shipped ({shipped}); LOT99999Z was recorded" in errors
    case.refresh_from_db()
    assert case.status == S.OUT_FOR_DELIVERY
