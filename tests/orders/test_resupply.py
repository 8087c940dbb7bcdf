"""Resupply in one click: a new draft case linked to the delivered one, pre-filled."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.resupply import COPIED_FIELDS, case_create_resupply
from orders.services import case_transition
from orders.states import CaseStatus

S = CaseStatus


@pytest.fixture
def delivered(case_in):
    return case_in(S.DELIVERED)


def test_the_physician_starts_the_next_import_prefilled_from_the_delivered_one(
    delivered, physician
):
    resupply = case_create_resupply(case=delivered, actor=physician.user)

    assert resupply.pk != delivered.pk
    assert resupply.status == S.DRAFT
    assert resupply.resupply_of == delivered
    for name in ("patient", "physician", "product", "pathway"):
        assert getattr(resupply, name) == getattr(delivered, name)
    for name in COPIED_FIELDS:
        assert getattr(resupply, name) == getattr(delivered, name), name
    assert resupply.daily_units == 6
    assert resupply.created_by == physician.user
    created = CaseEvent.objects.get(case=resupply)
    assert created.transition == CaseEvent.CREATED
    assert created.data == {"resupply_of": delivered.reference}


def test_a_coordinator_may_start_it_too(delivered, coordinator):
    assert case_create_resupply(case=delivered, actor=coordinator).resupply_of == delivered


@pytest.mark.parametrize("who", ["other_physician", "patient"])
def test_others_may_not(delivered, request, who):
    outsider = request.getfixturevalue(who).user

    with pytest.raises(PermissionDenied):
        case_create_resupply(case=delivered, actor=outsider)

    assert not ImportCase.objects.filter(resupply_of=delivered).exists()


def test_a_case_not_yet_delivered_cannot_be_resupplied(case_in, physician):
    in_transit = case_in(S.IN_TRANSIT)

    with pytest.raises(DomainError, match="follows a delivery"):
        case_create_resupply(case=in_transit, actor=physician.user)


def test_one_open_resupply_at_a_time(delivered, physician):
    first = case_create_resupply(case=delivered, actor=physician.user)

    with pytest.raises(DomainError, match=first.reference):
        case_create_resupply(case=delivered, actor=physician.user)

    case_transition(case=first, actor=physician.user, transition="cancel", note="Dose changed.")
    second = case_create_resupply(case=delivered, actor=physician.user)
    assert second.resupply_of == delivered


def test_a_closed_case_can_be_resupplied(delivered, coordinator, physician):
    closed = case_transition(case=delivered, actor=coordinator, transition="close")

    assert case_create_resupply(case=closed, actor=physician.user).resupply_of == closed
