"""Shipment milestones a courier or supplier reports (picked up, in transit, arrived
at the port, delivered to the customs broker), each with the time it happened.

Each lands on the case's timeline as a `shipment_milestone` event, and one that
matches a move of the state machine (arrival at the port: `arrive`) then moves the
case through the same service as a coordinator's click, with its permission and
its event. A milestone that does not match the case's state (a late "in transit"
after arrival) is still recorded, as the courier's word, and moves nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from npp.accounts.models import User
from orders import permissions as perm
from orders.errors import DomainError
from orders.models import CaseEvent, ImportCase
from orders.services import _append_event, case_transition

MILESTONE = "shipment_milestone"
# A courier's clock may run a little ahead of ours.
CLOCK_SKEW = dt.timedelta(minutes=5)


class Milestone(models.TextChoices):
    PICKED_UP = "picked_up", "Picked up"
    IN_TRANSIT = "in_transit", "In transit"
    ARRIVED_AT_PORT = "arrived_at_port", "Arrived at the port of entry"
    DELIVERED_TO_CUSTOMS_BROKER = "delivered_to_customs_broker", "Delivered to the customs broker"


# Milestones that are also a move of the case.
TRANSITION_OF = {Milestone.ARRIVED_AT_PORT: "arrive"}


def shipment_milestone_record(
    *,
    case: ImportCase,
    actor: User,
    milestone: str,
    occurred_at: dt.datetime,
    location: str = "",
) -> tuple[CaseEvent, ImportCase]:
    """Record `milestone` on `case`, then make its transition if it has one and the
    case is where that transition starts. Returns the event and the case as it is now."""
    if not perm.coordinator_or_system(case, actor):
        raise PermissionDenied("Only a carrier's account or a coordinator reports milestones.")
    if milestone not in Milestone.values:
        raise DomainError(f"Unknown milestone {milestone!r}.")
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise DomainError("A milestone cannot happen in the future.")
    with transaction.atomic(durable=True):
        locked = ImportCase.objects.select_for_update(of=("self",)).get(pk=case.pk)
        event = _append_event(
            case=locked,
            actor=actor,
            transition=MILESTONE,
            from_state=locked.status,
            to_state=locked.status,
            data={
                "milestone": milestone,
                "occurred_at": occurred_at.isoformat(),
                "location": (location or "").strip()[:200],
            },
        )
    transition = TRANSITION_OF.get(Milestone(milestone))
    if transition is None:
        return event, locked
    meta = getattr(locked, transition)._django_fsm.get_transition(locked.status)
    if meta is None:
        return event, locked
    label = Milestone(milestone).label
    when = timezone.localtime(occurred_at).strftime("%d %b %Y %H:%M")
    moved = case_transition(
        case=locked,
        actor=actor,
        transition=transition,
        note=f"{label} at {when}, reported by {actor.full_name}.",
    )
    return event, moved
