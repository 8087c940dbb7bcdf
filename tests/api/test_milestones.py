"""Couriers and suppliers report milestones on the cases they carry: on the timeline,
and arrival moves the case through the same service."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from orders.models import CaseEvent, Shipment, Supplier
from orders.states import CaseStatus
from portals import demo
from tests.api.conftest import client_for
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
S = CaseStatus


def courier(name: str = "DHL", carries: str = "DHL Express") -> APIClient:
    out = io.StringIO()
    call_command("carrier_account", name, "--courier", carries, stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    return client


def supplier_account(supplier: Supplier) -> APIClient:
    out = io.StringIO()
    call_command("carrier_account", supplier.name, "--supplier", str(supplier.pk), stdout=out)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    return client


def report(client, case, milestone: str, **extra):
    return client.post(
        f"/api/v1/cases/{case.reference}/milestones",
        {"milestone": milestone, "occurred_at": timezone.now().isoformat(), **extra},
        format="json",
    )


def test_arrival_at_the_port_lands_on_the_timeline_and_moves_the_case(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)  # dispatched with DHL Express
    client = courier()

    response = report(client, case, "arrived_at_port", location="BLR Air Cargo")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["event"]["title"] == "Shipment: Arrived at the port of entry"
    assert body["case"]["status"] == S.CUSTOMS_CLEARANCE
    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    milestone, arrive = case.events.order_by("-pk")[:2][::-1]
    assert milestone.transition == "shipment_milestone"
    assert milestone.data["location"] == "BLR Air Cargo"
    assert arrive.transition == "arrive" and arrive.actor.full_name == "DHL"
    timeline = client_for(coordinator).get(f"/api/v1/cases/{case.reference}/timeline").json()
    titles = [event["title"] for event in timeline]
    assert titles[-2:] == ["Shipment: Arrived at the port of entry", "Arrived at customs"]


def test_a_milestone_without_a_transition_only_lands_on_the_timeline(case_in):
    case = case_in(S.IN_TRANSIT)

    response = report(courier(), case, "picked_up")

    assert response.status_code == 201
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    assert case.events.filter(transition="shipment_milestone").count() == 1


def test_a_late_arrival_report_is_recorded_and_moves_nothing(case_in, coordinator):
    case = case_in(S.CUSTOMS_CLEARANCE)
    events = case.events.count()

    response = report(courier(), case, "arrived_at_port")

    assert response.status_code == 201
    case.refresh_from_db()
    assert case.status == S.CUSTOMS_CLEARANCE
    assert case.events.count() == events + 1


def test_a_courier_reaches_only_the_cases_it_carries(case_in, other_case):
    case = case_in(S.IN_TRANSIT)
    other_courier = courier("FedEx", "FedEx")
    events = CaseEvent.objects.count()

    assert report(other_courier, case, "picked_up").status_code == 404
    assert report(other_courier, other_case, "picked_up").status_code == 404
    assert other_courier.get(f"/api/v1/cases/{case.reference}").status_code == 404
    assert other_courier.get("/api/v1/cases").json()["results"] == []
    assert CaseEvent.objects.count() == events


def test_a_milestone_in_the_future_is_refused(case_in):
    case = case_in(S.IN_TRANSIT)

    response = courier().post(
        f"/api/v1/cases/{case.reference}/milestones",
        {
            "milestone": "arrived_at_port",
            "occurred_at": (timezone.now() + timezone.timedelta(hours=2)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


def test_a_physician_may_not_report_milestones(case_in, physician):
    case = case_in(S.IN_TRANSIT)

    response = report(client_for(physician.user), case, "arrived_at_port")

    assert response.status_code == 403


def supplied_by_another(case_in, other_case, coordinator):
    """Case in transit from Aurinia (the happy path's supplier), and another in transit
    whose shipment comes from a distributor."""
    case = case_in(S.IN_TRANSIT)
    distributor = Supplier.objects.create(
        name="Pharma Distributors GmbH", country="DE", kind=Supplier.Kind.AUTHORISED_DISTRIBUTOR
    )
    theirs = demo.walk_to(
        other_case, S.IN_TRANSIT, coordinator=coordinator, signing_password=PASSWORD
    )
    Shipment.objects.filter(case=theirs).update(supplier=distributor)
    return case, theirs, distributor


def test_a_supplier_reaches_only_the_cases_it_supplies_and_reports_their_milestones(
    case_in, other_case, coordinator
):
    case, theirs, _ = supplied_by_another(case_in, other_case, coordinator)
    aurinia = case.shipments.get().supplier
    client = supplier_account(aurinia)

    listed = client.get("/api/v1/cases").json()["results"]
    assert [row["reference"] for row in listed] == [case.reference]
    assert client.get(f"/api/v1/cases/{case.reference}").status_code == 200
    assert client.get(f"/api/v1/cases/{theirs.reference}").status_code == 404

    response = report(client, case, "picked_up", location="Victoria BC")

    assert response.status_code == 201, response.content
    assert response.json()["event"]["title"] == "Shipment: Picked up"
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    milestone = case.events.get(transition="shipment_milestone")
    assert milestone.actor.full_name == aurinia.name
    assert milestone.data["location"] == "Victoria BC"
    timeline = client_for(coordinator).get(f"/api/v1/cases/{case.reference}/timeline").json()
    assert timeline[-1]["title"] == "Shipment: Picked up"


def test_a_supplier_cannot_report_on_another_suppliers_case(case_in, other_case, coordinator):
    case, theirs, distributor = supplied_by_another(case_in, other_case, coordinator)
    aurinia = case.shipments.get().supplier
    distributors = supplier_account(distributor)
    events = CaseEvent.objects.count()

    assert report(supplier_account(aurinia), theirs, "picked_up").status_code == 404
    assert report(distributors, case, "arrived_at_port").status_code == 404

    assert CaseEvent.objects.count() == events
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT
    # The distributor reaches its own.
    assert report(distributors, theirs, "in_transit").status_code == 201
