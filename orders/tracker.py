"""What a patient is shown about their import: the steps in their words, where the
case is, what happens next and when (design section 3, the bracketed words)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from orders.models import Carrier, ImportCase
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
    S.DRAFT: _("Your doctor is finishing the request. We start as soon as they send it."),
    S.SUBMITTED: _("We check your prescription with your doctor's details."),
    S.INFORMATION_REQUESTED: _("We asked your doctor a question. Nothing is needed from you."),
    S.FORMS_PREPARATION: _(
        "We prepare the import application. Please read and sign your consent, and "
        "upload your identity document below, if you have not yet."
    ),
    S.AWAITING_PERMIT: _("The regulator reviews the application and issues the import permit."),
    S.SUPPLIER_ORDERING: _("We order your medicine from the manufacturer."),
    S.IN_TRANSIT: _("Your medicine travels to us under temperature control."),
    S.CUSTOMS_CLEARANCE: _("Customs release your medicine; then it comes to you."),
    S.QUARANTINED: _(
        "We are checking the shipment's quality before it reaches you. We will tell you "
        "as soon as we know more."
    ),
    S.OUT_FOR_DELIVERY: _(
        "Your medicine is on its way to your address. Confirm here when it arrives."
    ),
    S.DELIVERED: _("Follow the patient information sheet. Tell us about any side effect."),
    S.CLOSED: _("This import is complete."),
    S.ON_HOLD: _("Your import is paused. We will contact you or your doctor."),
    S.REJECTED: _("Your doctor has been told why and what can be done."),
    S.CANCELLED: _("This request was withdrawn."),
}


@dataclass(frozen=True)
class Step:
    label: str
    status: str  # "done", "current" or "todo"
    reached_on: dt.date | None = None  # when the case last entered this step


@dataclass(frozen=True)
class Parcel:
    """The courier and tracking number, with the carrier's tracking page when the
    courier is one the catalogue knows."""

    courier: str
    tracking_number: str
    tracking_url: str | None


@dataclass(frozen=True)
class Progress:
    label: str
    steps: list[Step]
    next_step: str
    expected_delivery: dt.date | None
    stopped: bool
    parcel: Parcel | None = None

    @property
    def step_number(self) -> int:
        """The step the order is at (1-based), or the last one done."""
        done = [i for i, step in enumerate(self.steps) if step.status != "todo"]
        return done[-1] + 1 if done else 1


def _where(case: ImportCase) -> str:
    """The step of the line a case stands at (a paused case at the step it left)."""
    status = case.status
    where = case.held_from if status == S.ON_HOLD and case.held_from else status
    return SHOWN_AT.get(where, where)


def progress_of(case: ImportCase, *, detail: bool = True) -> Progress:
    """Where the case is, in the patient's words. `detail` adds the dates each step was
    reached and the parcel (two queries: the order page, not a list of orders)."""
    status = case.status
    stopped = status in (S.REJECTED, S.CANCELLED)
    where = _where(case)
    position = STEPS.index(where) if where in STEPS else -1
    reached = reached_on(case) if detail else {}
    steps = []
    for index, step in enumerate(STEPS):
        if position >= 0 and index < position:
            state = "done"
        elif index == position and not stopped:
            state = "done" if step == S.CLOSED else "current"
        else:
            state = "todo"
        label = gettext(PATIENT_LABELS[step])
        if state == "current" and status != step:
            label = f"{label}: {gettext(PATIENT_LABELS[status])}"
        when = reached.get(step) if state != "todo" else None
        steps.append(Step(label=label, status=state, reached_on=when))
    return Progress(
        label=gettext(PATIENT_LABELS[status]),
        steps=steps,
        next_step=gettext(NEXT_STEP[status]),
        expected_delivery=expected_delivery(case),
        stopped=stopped,
        parcel=parcel_of(case) if detail else None,
    )


# States with no news for the patient (a question to the doctor is part of checking the
# prescription): the tracker's mapping, less a quality hold (news: the medicine is
# held) and a draft (never shown to the patient: its submission is the first news).
SAME_NEWS_AS = {
    state: step for state, step in SHOWN_AT.items() if state not in (S.QUARANTINED, S.DRAFT)
}


def patient_sees_change(from_state: str, to_state: str) -> bool:
    """Whether a move changes what the patient's tracker says: a question to the
    doctor and its answer, or an order sent within "Ordering from the manufacturer",
    do not."""
    return SAME_NEWS_AS.get(from_state, from_state) != SAME_NEWS_AS.get(to_state, to_state)


def reached_on(case: ImportCase) -> dict[str, dt.date]:
    """The local date each step of the line was last entered, from the case's events
    (one query)."""
    reached: dict[str, dt.date] = {}
    entries = case.events.filter(to_state__in=STEPS).order_by("created_at", "pk")
    for to_state, at in entries.values_list("to_state", "created_at"):
        reached[to_state] = timezone.localdate(at)
    return reached


# Where a parcel is worth following: from dispatch until the patient has it.
PARCEL_STATES = (S.IN_TRANSIT, S.CUSTOMS_CLEARANCE, S.QUARANTINED, S.OUT_FOR_DELIVERY)


def parcel_of(case: ImportCase) -> Parcel | None:
    if case.status not in PARCEL_STATES:
        return None
    shipment = case.current_shipment
    if shipment is None or not shipment.tracking_number:
        return None
    carrier = Carrier.for_courier(shipment.courier)
    return Parcel(
        courier=shipment.courier,
        tracking_number=shipment.tracking_number,
        tracking_url=carrier.tracking_link(shipment.tracking_number) if carrier else None,
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
    return [
        HistoryEntry(at=at, label=gettext(PATIENT_LABELS[state]) if state in PATIENT_LABELS else "")
        for at, state in moves
    ]


# The last step before the medicine is in the patient's hands.
DELIVERY_STEP = S.OUT_FOR_DELIVERY


def expected_delivery(case: ImportCase, *, now: dt.datetime | None = None) -> dt.date | None:
    """When the medicine should reach the patient: what is left of the current step's
    expected time (none left when it is overdue), then each later step's, by the
    pathway's expected days and the case's urgency. None once delivered, and while
    the case is paused or stopped (no date can be promised)."""
    if case.status not in STEPS[: STEPS.index(DELIVERY_STEP) + 1] and case.status not in (
        S.INFORMATION_REQUESTED,
        S.QUARANTINED,
    ):
        return None
    now = now or timezone.now()
    pathway, priority = case.pathway, case.priority
    current = pathway.expected_time(case.status, priority) or dt.timedelta(0)
    at = max(now, case.state_changed_at + current)
    where = _where(case)
    if case.status != where:
        # Off the line (a question, a quality hold): the step it belongs to starts again.
        at += pathway.expected_time(where, priority) or dt.timedelta(0)
    for step in STEPS[STEPS.index(where) + 1 : STEPS.index(DELIVERY_STEP) + 1]:
        at += pathway.expected_time(step, priority) or dt.timedelta(0)
    return timezone.localdate(at)


def phone_link(number: str) -> str:
    """A number as a `tel:` link dials it: the digits and a leading plus, nothing else."""
    digits = "".join(ch for ch in number if ch.isdigit())
    return ("+" if number.strip().startswith("+") else "") + digits
