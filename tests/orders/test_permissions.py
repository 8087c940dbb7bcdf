"""Who may make which move: the role-by-transition table, and what each role is
offered from each state."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from orders.models import CaseEvent
from orders.services import (
    TRANSITION_NAMES,
    available_transitions,
    case_transition,
    system_user,
)
from orders.states import CaseStatus
from tests.orders.helpers import NOTES, prepare, reach, refuse

S = CaseStatus

PERSONAS = ("coordinator", "physician", "other_physician", "patient", "other_patient", "system")

# (transition, source state, personas allowed). Everyone else is refused.
# The physician (own case) may submit, resubmit, and cancel only while drafting; the
# patient (own case) may only confirm delivery; a coordinator may do everything but
# answer for the physician; the system may only close, quarantine and record an arrival
# (a courier's service account reports it: orders.milestones).
TABLE = [
    ("submit", S.DRAFT, {"coordinator", "physician"}),
    ("request_information", S.SUBMITTED, {"coordinator"}),
    ("resubmit", S.INFORMATION_REQUESTED, {"physician"}),
    ("verify", S.SUBMITTED, {"coordinator"}),
    ("reject", S.SUBMITTED, {"coordinator"}),
    ("reject", S.AWAITING_PERMIT, {"coordinator"}),
    ("file_application", S.FORMS_PREPARATION, {"coordinator"}),
    ("record_permit", S.AWAITING_PERMIT, {"coordinator"}),
    ("order_from_supplier", S.SUPPLIER_ORDERING, {"coordinator"}),
    ("dispatch", S.SUPPLIER_ORDERING, {"coordinator"}),
    ("arrive", S.IN_TRANSIT, {"coordinator", "system"}),
    ("clear_customs", S.CUSTOMS_CLEARANCE, {"coordinator"}),
    ("quarantine", S.IN_TRANSIT, {"coordinator", "system"}),
    ("release", S.QUARANTINED, {"coordinator"}),
    ("reorder", S.QUARANTINED, {"coordinator"}),
    ("confirm_delivery", S.OUT_FOR_DELIVERY, {"coordinator", "patient"}),
    ("close", S.DELIVERED, {"coordinator", "system"}),
    ("hold", S.SUBMITTED, {"coordinator"}),
    ("resume", S.ON_HOLD, {"coordinator"}),
    ("cancel", S.DRAFT, {"coordinator", "physician"}),
    ("cancel", S.SUBMITTED, {"coordinator"}),
    ("cancel", S.INFORMATION_REQUESTED, {"coordinator"}),
    ("cancel", S.SUPPLIER_ORDERING, {"coordinator"}),
]


def cases_of_the_table() -> list:
    return [
        pytest.param(
            transition,
            source,
            persona,
            persona in allowed,
            id=f"{persona}-{'may' if persona in allowed else 'may-not'}-{transition}-from-{source}",
        )
        for transition, source, allowed in TABLE
        for persona in PERSONAS
    ]


def as_user(request, persona: str):
    if persona == "system":
        return system_user()
    person = request.getfixturevalue(persona)
    return getattr(person, "user", person)


def test_the_table_covers_every_transition():
    assert {transition for transition, _, _ in TABLE} == set(TRANSITION_NAMES)


@pytest.mark.parametrize(("transition", "source", "persona", "allowed"), cases_of_the_table())
def test_each_role_may_make_only_its_own_transitions(
    request, case_in, coordinator, transition, source, persona, allowed
):
    case = reach(case_in, coordinator, source)
    kwargs = prepare(case, transition, coordinator)
    actor = as_user(request, persona)

    if not allowed:
        error = refuse(case, actor, transition, error=PermissionDenied, **kwargs)
        assert "You may not" in str(error)
        return

    events_before = CaseEvent.objects.filter(case=case).count()
    case_transition(case=case, actor=actor, transition=transition, **kwargs)

    case.refresh_from_db()
    # Sending the order is a step within supplier ordering; every other move leaves.
    assert (case.status == source) == (transition == "order_from_supplier")
    event = CaseEvent.objects.filter(case=case).order_by("-pk").first()
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    assert (event.transition, event.from_state, event.actor) == (transition, source, actor)


def test_an_inactive_coordinator_may_not_make_any_transition(case_in, coordinator):
    case = case_in(S.IN_TRANSIT)
    coordinator.is_active = False
    coordinator.save()

    refuse(case, coordinator, "arrive", error=PermissionDenied)


def test_the_physician_may_not_cancel_their_case_once_submitted(case_in, physician):
    case = case_in(S.SUBMITTED)

    refuse(case, physician.user, "cancel", note=NOTES["cancel"], error=PermissionDenied)


# What each role is offered from a state (guards not evaluated).
OFFERED = {
    S.DRAFT: {"coordinator": {"submit", "cancel"}, "physician": {"submit", "cancel"}},
    S.SUBMITTED: {"coordinator": {"request_information", "verify", "reject", "hold", "cancel"}},
    S.INFORMATION_REQUESTED: {
        "coordinator": {"hold", "cancel"},
        "physician": {"resubmit"},
    },
    S.AWAITING_PERMIT: {
        "coordinator": {"request_information", "reject", "record_permit", "hold", "cancel"}
    },
    S.IN_TRANSIT: {
        "coordinator": {"arrive", "quarantine", "hold"},
        "system": {"arrive", "quarantine"},
    },
    S.QUARANTINED: {"coordinator": {"release", "reorder", "hold"}},
    S.OUT_FOR_DELIVERY: {
        "coordinator": {"quarantine", "confirm_delivery", "hold"},
        "patient": {"confirm_delivery"},
        "system": {"quarantine"},
    },
    S.DELIVERED: {"coordinator": {"close", "hold"}, "system": {"close"}},
    S.ON_HOLD: {"coordinator": {"resume", "cancel"}},
    S.CLOSED: {},
    S.REJECTED: {},
    S.CANCELLED: {},
}


@pytest.mark.parametrize("state", OFFERED)
def test_available_transitions_offer_each_role_only_what_it_may_do(
    request, case_in, coordinator, state
):
    case = reach(case_in, coordinator, state)

    offered = {
        persona: set(available_transitions(case=case, actor=as_user(request, persona)))
        for persona in PERSONAS
    }

    expected = {persona: OFFERED[state].get(persona, set()) for persona in PERSONAS}
    assert offered == expected
