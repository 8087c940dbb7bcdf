"""case_assign: who takes a case, recorded as an event that moves nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from orders.errors import DomainError
from orders.services import case_assign, case_transition
from orders.states import CaseStatus

S = CaseStatus


def test_a_coordinator_takes_a_case_and_the_event_says_so(coordinator, case_in):
    case = case_in(S.SUBMITTED)
    case = case_assign(case=case, actor=coordinator, coordinator=coordinator)
    case.refresh_from_db()
    assert case.assigned_coordinator == coordinator
    assert case.status == S.SUBMITTED
    event = case.events.order_by("pk").last()
    assert (event.transition, event.from_state, event.to_state, event.actor) == (
        "assign",
        S.SUBMITTED,
        S.SUBMITTED,
        coordinator,
    )
    assert event.data == {
        "coordinator": {"id": coordinator.pk, "name": coordinator.full_name},
        "previous": None,
    }


def test_giving_it_to_another_coordinator_records_who_had_it(
    coordinator, other_coordinator, case_in
):
    case = case_in(S.SUBMITTED)
    case_assign(case=case, actor=coordinator, coordinator=coordinator)
    case_assign(case=case, actor=coordinator, coordinator=other_coordinator)
    event = case.events.order_by("pk").last()
    assert event.data["previous"]["id"] == coordinator.pk
    assert event.data["coordinator"]["id"] == other_coordinator.pk


def test_assigning_to_the_same_coordinator_again_adds_nothing(coordinator, case_in):
    case = case_in(S.SUBMITTED)
    case_assign(case=case, actor=coordinator, coordinator=coordinator)
    events = case.events.count()
    case_assign(case=case, actor=coordinator, coordinator=coordinator)
    assert case.events.count() == events


def test_only_a_coordinator_assigns_and_only_to_a_coordinator(coordinator, physician, case_in):
    case = case_in(S.SUBMITTED)
    with pytest.raises(PermissionDenied):
        case_assign(case=case, actor=physician.user, coordinator=coordinator)
    with pytest.raises(DomainError, match="not an active coordinator"):
        case_assign(case=case, actor=coordinator, coordinator=physician.user)
    case.refresh_from_db()
    assert case.assigned_coordinator is None


def test_a_finished_case_is_not_assigned(coordinator, case_in):
    case = case_in(S.SUBMITTED)
    case = case_transition(case=case, actor=coordinator, transition="reject", note="No.")
    with pytest.raises(DomainError, match="rejected"):
        case_assign(case=case, actor=coordinator, coordinator=coordinator)
