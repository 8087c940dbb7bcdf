"""What a patient is shown about their import: the steps in their words, where the
case is, what happens next and when (design section 3, the bracketed words)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from orders.models import ImportCase
from orders.states import HAPPY_PATH, PATIENT_LABELS, CaseStatus

S = CaseStatus

# The steps every import goes through, in order (the request itself is not one).
STEPS = HAPPY_PATH[1:]
# States off that line, shown at the step they belong to.
SHOWN_AT = {
    S.DRAFT: S.SUBMITTED,
    S.INFORMATION_REQUESTED: S.SUBMITTED,
    S.QUARANTINED: S.CUSTOMS_CLEARANCE,
}

NEXT_STEP = {
    S.DRAFT: "Your doctor is finishing the request. We start as soon as they send it.",
    S.SUBMITTED: "We check your prescription with your doctor's details.",
    S.INFORMATION_REQUESTED: "We asked your doctor a question. Nothing is needed from you.",
    S.FORMS_PREPARATION: (
        "We prepare the import application. Please upload your identity document and "
        "signed consent below if you have not yet."
    ),
    S.AWAITING_PERMIT: "The regulator reviews the application and issues the import permit.",
    S.SUPPLIER_ORDERING: "We order your medicine from the manufacturer.",
    S.IN_TRANSIT: "Your medicine travels to us under temperature control.",
    S.CUSTOMS_CLEARANCE: "Customs release your medicine; then it comes to you.",
    S.QUARANTINED: (
        "We are checking the shipment's quality before it reaches you. We will tell you "
        "as soon as we know more."
    ),
    S.OUT_FOR_DELIVERY: (
        "Your medicine is on its way to your address. Confirm here when it arrives."
    ),
    S.DELIVERED: "Follow the patient information sheet. Tell us about any side effect.",
    S.CLOSED: "This import is complete.",
    S.ON_HOLD: "Your import is paused. We will contact you or your doctor.",
    S.REJECTED: "Your doctor has been told why and what can be done.",
    S.CANCELLED: "This request was withdrawn.",
}


@dataclass(frozen=True)
class Step:
    label: str
    status: str  # "done", "current" or "todo"


@dataclass(frozen=True)
class Progress:
    label: str
    steps: list[Step]
    next_step: str
    expected_by: dt.date | None
    stopped: bool

    @property
    def step_number(self) -> int:
        """The step the order is at (1-based), or the last one done."""
        done = [i for i, step in enumerate(self.steps) if step.status != "todo"]
        return done[-1] + 1 if done else 1


def progress_of(case: ImportCase) -> Progress:
    status = case.status
    stopped = status in (S.REJECTED, S.CANCELLED)
    where = case.held_from if status == S.ON_HOLD and case.held_from else status
    where = SHOWN_AT.get(where, where)
    position = STEPS.index(where) if where in STEPS else -1
    steps = []
    for index, step in enumerate(STEPS):
        if position >= 0 and index < position:
            state = "done"
        elif index == position and not stopped:
            state = "done" if step == S.CLOSED else "current"
        else:
            state = "todo"
        label = PATIENT_LABELS[step]
        if state == "current" and status != step:
            label = f"{label}: {PATIENT_LABELS[status]}"
        steps.append(Step(label=label, status=state))
    return Progress(
        label=PATIENT_LABELS[status],
        steps=steps,
        next_step=NEXT_STEP[status],
        expected_by=expected_by(case),
        stopped=stopped,
    )


def expected_by(case: ImportCase) -> dt.date | None:
    """When the current step should be done: the pathway's expected days in this state
    counted from when the case entered it (none for states without a clock)."""
    allowed = case.pathway.expected_time(case.status, case.priority)
    if not allowed:
        return None
    return timezone.localdate(case.state_changed_at + allowed)


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    label: str


def patient_history(case: ImportCase) -> list[HistoryEntry]:
    """The case's moves as the patient reads them (newest first): when it reached each
    state, in the patient's words; no notes, no names of staff, no steps within a state."""
    moves = (
        case.events.exclude(to_state=F("from_state"))
        .exclude(to_state="")
        .exclude(to_state=S.DRAFT)
        .order_by("-created_at", "-pk")
        .values_list("created_at", "to_state")
    )
    return [HistoryEntry(at=at, label=PATIENT_LABELS.get(state, "")) for at, state in moves]
