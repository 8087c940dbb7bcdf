"""Pausing a case and picking it up again exactly where it was."""

from __future__ import annotations

import pytest

from orders.errors import GuardFailed, TransitionNotAvailable
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import ACTIVE_STATES, CaseStatus
from portals import demo
from tests.orders.helpers import NOTES, assert_refused, reach, refuse

S = CaseStatus


@pytest.mark.parametrize("state", ACTIVE_STATES)
def test_resume_returns_a_held_case_to_exactly_the_state_it_was_held_from(
    case_in, coordinator, state
):
    case = reach(case_in, coordinator, state)
    events_before = CaseEvent.objects.filter(case=case).count()

    case = case_transition(case=case, actor=coordinator, transition="hold", note=NOTES["hold"])
    case.refresh_from_db()
    assert case.status == S.ON_HOLD
    assert case.held_from == state

    case_transition(case=case, actor=coordinator, transition="resume", note=NOTES["resume"])
    case.refresh_from_db()
    assert case.status == state
    assert case.held_from == ""

    hold, resume = CaseEvent.objects.filter(case=case).order_by("pk")[events_before:]
    assert (hold.transition, hold.from_state, hold.to_state) == ("hold", state, S.ON_HOLD)
    assert (resume.transition, resume.from_state, resume.to_state) == ("resume", S.ON_HOLD, state)
    assert (hold.note, resume.note) == (NOTES["hold"], NOTES["resume"])
    assert hold.actor == resume.actor == coordinator


def test_a_held_case_cannot_move_on_until_it_is_resumed(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD, held_from=S.IN_TRANSIT)

    refuse(case, coordinator, "arrive", error=TransitionNotAvailable)


def test_a_resumed_case_carries_on_from_where_it_was(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD, held_from=S.SUPPLIER_ORDERING)
    case = case_transition(case=case, actor=coordinator, transition="resume", note=NOTES["resume"])
    case = demo.settle_and_order(case, coordinator)

    case_transition(
        case=case, actor=coordinator, transition="dispatch", data=demo.shipment_data(case)
    )

    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT


def test_a_case_can_be_held_and_resumed_more_than_once(case_in, coordinator):
    case = case_in(S.AWAITING_PERMIT)
    for _ in range(2):
        case = case_transition(case=case, actor=coordinator, transition="hold", note=NOTES["hold"])
        case = case_transition(
            case=case, actor=coordinator, transition="resume", note=NOTES["resume"]
        )

    case.refresh_from_db()
    assert case.status == S.AWAITING_PERMIT
    assert case.held_from == ""
    transitions = list(
        CaseEvent.objects.filter(case=case, transition__in=["hold", "resume"])
        .order_by("pk")
        .values_list("transition", flat=True)
    )
    assert transitions == ["hold", "resume", "hold", "resume"]


@pytest.mark.parametrize("state", [S.DRAFT, S.ON_HOLD, S.CLOSED, S.REJECTED, S.CANCELLED])
def test_hold_is_not_available_outside_the_active_states(case_in, coordinator, state):
    case = reach(case_in, coordinator, state)

    refuse(case, coordinator, "hold", note=NOTES["hold"], error=TransitionNotAvailable)


def test_resume_refuses_a_held_case_that_does_not_say_where_it_was_held_from(case_in, coordinator):
    case = reach(case_in, coordinator, S.ON_HOLD)
    ImportCase.objects.filter(pk=case.pk).update(held_from="")
    case.refresh_from_db()

    error = refuse(case, coordinator, "resume", note=NOTES["resume"])

    assert isinstance(error, GuardFailed)
    assert_refused(error, "the state the case was held from")
