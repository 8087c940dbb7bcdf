"""What someone is told when their move was not applied because the case moved
under them: who did what, when, from the case's latest move, so that the loser of a
race, or someone acting on a stale page, knows why and what the case is now."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from orders.models import CaseEvent, ImportCase
from orders.services import transition_label
from orders.timeline import event_title

# What each move did, as a sentence's verb phrase about "this case".
DID = {
    "submit": "submitted this case",
    "resubmit": "answered the question and resubmitted this case",
    "verify": "verified the prescription on this case",
    "request_information": "asked the physician for information on this case",
    "file_application": "filed this case's application with the regulator",
    "record_permit": "recorded the permit on this case",
    "dispatch": "dispatched this case's goods",
    "arrive": "recorded this case's goods at customs",
    "clear_customs": "cleared this case's goods through customs",
    "quarantine": "quarantined this case's goods",
    "release": "released this case's goods after quality review",
    "reorder": "rejected this case's lot and reordered",
    "confirm_delivery": "confirmed this case's delivery",
    "close": "closed this case",
    "hold": "put this case on hold",
    "resume": "resumed this case",
    "reject": "rejected this case",
    "cancel": "cancelled this case",
}


def latest_move(case: ImportCase) -> CaseEvent | None:
    """The last event that changed the case's state."""
    return (
        CaseEvent.objects.filter(case=case)
        .exclude(from_state=F("to_state"))
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )


def _who(event: CaseEvent, viewer) -> str:
    actor = event.actor
    if actor.pk == viewer.pk:
        return "You (in another window)"
    if actor.is_system:
        return "The system"
    if actor.is_coordinator:
        return f"Another coordinator, {actor.full_name},"
    return actor.full_name


def _when(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {local.day} {local:%b} at {local:%H:%M}"


def case_moved_message(case: ImportCase, *, transition: str, viewer) -> str:
    """ "Another coordinator, Colin Coordinator, put this case on hold at 10:32; your
    Verify prescription was not applied. The case is now on hold." """
    yours = transition_label(transition)
    now = case.get_status_display().lower()
    event = latest_move(case)
    if event is None:
        return f"Your {yours} was not applied: the case is now {now}."
    did = DID.get(event.transition, f"did “{event_title(event)}” on this case")
    return (
        f"{_who(event, viewer)} {did} {_when(event.created_at)}; your {yours} was not "
        f"applied. The case is now {now}: check it before acting again."
    )


def moved_message(case: ImportCase, *, transition: str, before: str) -> str:
    """What the person who moved a case is told: "NPP-2026-00018 moved to Forms
    preparation", or, for a step within a state, "Send the order to the supplier:
    done on NPP-2026-00018 (still Supplier ordering)"."""
    if case.status != before:
        return f"{case.reference} moved to {case.get_status_display()}."
    return (
        f"{transition_label(transition)}: done on {case.reference} "
        f"(still {case.get_status_display()})."
    )
