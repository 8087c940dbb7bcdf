"""Reminders that keep cases moving: which are due at a given moment.

Each finder returns the reminders due now; `reminders_issue_due` records them
(once per kind, case, due date and recipient: `Reminder`'s unique constraint) and
creates their notifications. The clocks come from the pathway's data and settings:

- stalled: longer in a state than the pathway expects (urgent cases a shorter time,
  NPP_URGENT_EXPECTED_PERCENT) -> its coordinator; at NPP_ESCALATION_PERCENT of the
  expected time -> every coordinator;
- information request unanswered for NPP_INFORMATION_REMINDER_DAYS -> the physician
  again, and again after each further period;
- permit expiring before the goods cleared customs -> coordinator, at each of
  NPP_PERMIT_EXPIRY_REMINDER_DAYS (30, 7) days ahead;
- resupply: the patient runs out on delivery date + units delivered / units a day;
  when fewer days remain than the pathway's lead time (permit + ordering + transit +
  customs + NPP_RESUPPLY_MARGIN_DAYS) -> coordinator and physician;
- monitoring: the product's schedule counted from the delivery date -> physician,
  NPP_MONITORING_LEAD_DAYS before each test;
- adverse event reports the manufacturer has not acknowledged by their due date ->
  every coordinator.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from notifications.models import Category, ReminderKind
from notifications.recipients import ALL_COORDINATORS_RULE, COORDINATOR, PHYSICIAN, coordinators
from notifications.services import DueReminder, reminder_issue
from orders.models import AdverseEvent, CaseEvent, ImportCase
from orders.states import ACTIVE_STATES, CaseStatus

S = CaseStatus
log = logging.getLogger(__name__)

# The states a resupply passes through once the application is filed: its lead time.
LEAD_TIME_STATES = (S.AWAITING_PERMIT, S.SUPPLIER_ORDERING, S.IN_TRANSIT, S.CUSTOMS_CLEARANCE)
# Where a permit still has to be valid: from its grant until customs clearance.
BEFORE_CLEARANCE = (S.SUPPLIER_ORDERING, S.IN_TRANSIT, S.CUSTOMS_CLEARANCE, S.QUARANTINED)
DELIVERED_STATES = (S.DELIVERED, S.CLOSED)


def _cases():
    return ImportCase.objects.select_related(
        "pathway", "product", "patient__user", "physician__user", "assigned_coordinator"
    )


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


# --- Stalled cases ------------------------------------------------------------------


def expected_time(case: ImportCase, state: str | None = None) -> dt.timedelta | None:
    """How long `case` may stay in its state; urgent cases a shorter time."""
    return case.pathway.expected_time(state or case.status, case.priority)


def stalled_cases(*, now: dt.datetime) -> list[DueReminder]:
    due = []
    for case in _cases().filter(status__in=ACTIVE_STATES):
        allowed = expected_time(case)
        if allowed is None:
            continue
        waited = now - case.state_changed_at
        context = {
            "state_label": case.get_status_display(),
            "days_in_state": waited.days,
            "expected_days": round(allowed.total_seconds() / 86400, 1),
            "assigned": case.assigned_coordinator,
        }
        if waited >= allowed:
            stalled_on = _local_date(case.state_changed_at + allowed)
            due.append(
                DueReminder(ReminderKind.STALLED, case, stalled_on, (COORDINATOR,), "", context)
            )
        escalate_after = allowed * settings.NPP_ESCALATION_PERCENT / 100
        if waited >= escalate_after:
            escalated_on = _local_date(case.state_changed_at + escalate_after)
            due.append(
                DueReminder(
                    ReminderKind.ESCALATION,
                    case,
                    escalated_on,
                    (ALL_COORDINATORS_RULE,),
                    "",
                    context,
                )
            )
    return due


# --- Unanswered information requests --------------------------------------------------


def unanswered_information_requests(*, now: dt.datetime) -> list[DueReminder]:
    period = dt.timedelta(days=settings.NPP_INFORMATION_REMINDER_DAYS)
    due = []
    cases = _cases().filter(status=S.INFORMATION_REQUESTED, state_changed_at__lte=now - period)
    for case in cases:
        periods = (now - case.state_changed_at) // period
        question = (
            CaseEvent.objects.filter(case=case, transition="request_information")
            .order_by("-created_at", "-pk")
            .values_list("note", flat=True)
            .first()
        )
        context = {"question": question or "", "days_waiting": (now - case.state_changed_at).days}
        reminded_on = _local_date(case.state_changed_at + periods * period)
        due.append(
            DueReminder(
                ReminderKind.INFORMATION_UNANSWERED, case, reminded_on, (PHYSICIAN,), "", context
            )
        )
    return due


# --- Permits ------------------------------------------------------------------------


def expiring_permits(*, today: dt.date) -> list[DueReminder]:
    """One reminder per threshold; when several passed at once (a permit recorded
    already close to expiry) only the most urgent one."""
    thresholds = sorted(settings.NPP_PERMIT_EXPIRY_REMINDER_DAYS)
    horizon = today + dt.timedelta(days=max(thresholds, default=0))
    cases = _cases().filter(permit_valid_until__isnull=False, permit_valid_until__lte=horizon)
    cases = cases.filter(
        Q(status__in=BEFORE_CLEARANCE) | Q(status=S.ON_HOLD, held_from__in=BEFORE_CLEARANCE)
    )
    due = []
    for case in cases:
        days_left = (case.permit_valid_until - today).days
        threshold = next(t for t in thresholds if days_left <= t)
        context = {"permit_valid_until": case.permit_valid_until, "days_left": days_left}
        due.append(
            DueReminder(
                ReminderKind.PERMIT_EXPIRY,
                case,
                case.permit_valid_until - dt.timedelta(days=threshold),
                (COORDINATOR,),
                f"{threshold} days",
                context,
            )
        )
    return due


# --- Resupply -----------------------------------------------------------------------


def units_delivered(case: ImportCase) -> int | None:
    shipment = case.current_shipment
    packs = (shipment.quantity_packs if shipment else None) or case.quantity_packs
    if not packs:
        return None
    return packs * case.product.units_per_pack


def run_out_date(case: ImportCase) -> dt.date | None:
    """The day the patient takes the last unit delivered: delivery date plus whole
    days of supply (Lupkynis 3 packs x 180 capsules at 6 a day = 90 days)."""
    units = units_delivered(case)
    daily = case.daily_units or case.product.standard_daily_units
    if case.delivered_at is None or not units or not daily:
        return None
    return _local_date(case.delivered_at) + dt.timedelta(days=units // daily)


def lead_time_days(pathway) -> int:
    """Permit + ordering + transit + customs, as the pathway expects, plus a margin."""
    expected = pathway.expected_days
    return sum(expected.get(state, 0) for state in LEAD_TIME_STATES) + (
        settings.NPP_RESUPPLY_MARGIN_DAYS
    )


def resupply_reminder_date(case: ImportCase) -> dt.date | None:
    """The first day on which fewer days of medicine remain than the lead time."""
    run_out = run_out_date(case)
    if run_out is None:
        return None
    return run_out - dt.timedelta(days=lead_time_days(case.pathway) - 1)


def resupplies_due(*, today: dt.date) -> list[DueReminder]:
    open_resupplies = Count(
        "resupplies", filter=~Q(resupplies__status__in=[S.CANCELLED, S.REJECTED])
    )
    cases = (
        _cases()
        .filter(status__in=DELIVERED_STATES, delivered_at__isnull=False)
        .annotate(open_resupplies=open_resupplies)
        .filter(open_resupplies=0)
    )
    due = []
    for case in cases:
        remind_on, run_out = resupply_reminder_date(case), run_out_date(case)
        if remind_on is None or not (remind_on <= today <= run_out):
            continue
        context = {
            "run_out_on": run_out,
            "days_left": (run_out - today).days,
            "lead_days": lead_time_days(case.pathway),
            "delivered_on": _local_date(case.delivered_at),
        }
        due.append(
            DueReminder(
                ReminderKind.RESUPPLY, case, remind_on, (COORDINATOR, PHYSICIAN), "", context
            )
        )
    return due


# --- Monitoring ------------------------------------------------------------------------


def monitoring_days(schedule: Iterable[dict], horizon: int) -> dict[int, list[str]]:
    """Treatment day -> tests due, from a product's schedule
    [{"test", "every_days", "from_day", "until_day"}], days 1..horizon. Day 0 is the
    baseline measured before treatment. A test is not repeated sooner than half its
    interval: Lupkynis's eGFR every 14 days until day 30 (14, 28), then every 30
    days from day 30 gives 14, 28, 60, 90 rather than 28 and 30 two days apart."""
    occurrences: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for entry in schedule:
        every = int(entry["every_days"])
        start = int(entry.get("from_day") or 0)
        until = entry.get("until_day")
        last = min(horizon, int(until)) if until is not None else horizon
        day = start if start > 0 else every
        while day <= last:
            occurrences[entry["test"]].append((day, every))
            day += every
    by_day: dict[int, list[str]] = defaultdict(list)
    for test, days in occurrences.items():
        kept = None
        for day, every in sorted(days):
            if kept is not None and day - kept < every / 2:
                continue
            by_day[day].append(test)
            kept = day
    return dict(sorted(by_day.items()))


def _treatment_start(case: ImportCase) -> dt.date:
    """Day 0 of the treatment: the first delivery of a chain of resupplies."""
    first = case
    while first.resupply_of_id is not None:
        previous = ImportCase.objects.only("delivered_at", "resupply_of").get(
            pk=first.resupply_of_id
        )
        if previous.delivered_at is None:
            break
        first = previous
    return _local_date(first.delivered_at)


def monitoring_dates(case: ImportCase) -> dict[dt.date, list[str]]:
    """The tests due while this case's supply lasts, by date."""
    run_out = run_out_date(case)
    schedule = case.product.monitoring_schedule
    if run_out is None or not schedule:
        return {}
    start = _treatment_start(case)
    delivered = _local_date(case.delivered_at)
    days = monitoring_days(schedule, (run_out - start).days)
    dates = {start + dt.timedelta(days=day): tests for day, tests in days.items()}
    return {day: tests for day, tests in dates.items() if delivered < day <= run_out}


def monitoring_due(*, today: dt.date) -> list[DueReminder]:
    lead = dt.timedelta(days=settings.NPP_MONITORING_LEAD_DAYS)
    due = []
    cases = _cases().filter(status__in=DELIVERED_STATES, delivered_at__isnull=False)
    for case in cases.exclude(product__monitoring_schedule=[]):
        start = _treatment_start(case)
        for day, tests in monitoring_dates(case).items():
            if day - lead <= today <= day:
                context = {"tests": tests, "test_date": day, "treatment_day": (day - start).days}
                due.append(
                    DueReminder(
                        ReminderKind.MONITORING, case, day, (PHYSICIAN,), ", ".join(tests), context
                    )
                )
    return due


# --- Adverse events ------------------------------------------------------------------


def overdue_adverse_events(*, today: dt.date) -> list[DueReminder]:
    """Reports the manufacturer has not acknowledged by their due date: sent or not,
    the clock runs until a coordinator records the receipt."""
    overdue = AdverseEvent.objects.overdue(today)
    due = []
    for report in overdue.select_related("case").order_by("due_on", "pk"):
        case = _cases().get(pk=report.case_id)
        context = {"adverse_event": report, "days_overdue": (today - report.due_on).days}
        due.append(
            DueReminder(
                ReminderKind.ADVERSE_EVENT_OVERDUE,
                case,
                report.due_on,
                (ALL_COORDINATORS_RULE,),
                f"adverse event {report.pk}",
                context,
                Category.SAFETY,
            )
        )
    return due


# --- All of them ---------------------------------------------------------------------


def due_reminders(*, now: dt.datetime) -> dict[str, Callable[[], list[DueReminder]]]:
    today = _local_date(now)
    return {
        ReminderKind.STALLED: lambda: stalled_cases(now=now),
        ReminderKind.INFORMATION_UNANSWERED: lambda: unanswered_information_requests(now=now),
        ReminderKind.PERMIT_EXPIRY: lambda: expiring_permits(today=today),
        ReminderKind.RESUPPLY: lambda: resupplies_due(today=today),
        ReminderKind.MONITORING: lambda: monitoring_due(today=today),
        ReminderKind.ADVERSE_EVENT_OVERDUE: lambda: overdue_adverse_events(today=today),
    }


def reminders_issue_due(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """Issue every reminder due at `now`. Returns, per finder, the ids of the new
    notifications to send. One finder failing does not stop the others."""
    now = now or timezone.now()
    staff = coordinators()
    issued: dict[str, list[int]] = {}
    for name, find in due_reminders(now=now).items():
        try:
            issued[name] = [pk for due in find() for pk in reminder_issue(due=due, staff=staff)]
        except Exception:
            log.exception("Reminders %s failed; the next run tries again", name)
            issued[name] = []
    return issued
