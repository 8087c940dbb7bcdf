"""Suspected side effects: reported by the case's physician or patient (or a
coordinator for them), forwarded by a coordinator to the manufacturer's safety
contact within the pathway's clock.

A report appends a `report_adverse_event` event to the case, in the same
transaction, so it is in the case's history and leaves through the outbox like
every event: the coordinators (and the physician, when the patient reported it)
hear of it as soon as it commits (notifications.recipients).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from npp.accounts.models import User
from orders import permissions as perm
from orders.errors import DomainError
from orders.models import AdverseEvent, ImportCase
from orders.services import _append_event

REPORTED = "report_adverse_event"
FORWARDED = "forward_adverse_event"

# Days to forward a report to the manufacturer when the pathway says nothing.
DEFAULT_REPORTING_DAYS = {
    AdverseEvent.Seriousness.SERIOUS: 7,
    AdverseEvent.Seriousness.NON_SERIOUS: 15,
}


def reporting_days(case: ImportCase, seriousness: str) -> int:
    """The clock for `seriousness` on `case`: the pathway's `adverse_event_days`
    ({"serious": 7, "non_serious": 15}), overridden per supplier of the lot
    ({"suppliers": {"<supplier name>": {"serious": 5}}})."""
    clocks = case.pathway.adverse_event_days or {}
    days = {**DEFAULT_REPORTING_DAYS}
    days.update({key: value for key, value in clocks.items() if key in DEFAULT_REPORTING_DAYS})
    shipment = case.current_shipment
    if shipment is not None and shipment.supplier_id:
        days.update(clocks.get("suppliers", {}).get(shipment.supplier.name, {}))
    return int(days[seriousness])


def _may_report(case: ImportCase, user: User) -> bool:
    return (
        perm.is_case_physician(case, user)
        or perm.is_case_patient(case, user)
        or perm.is_coordinator(case, user)
    )


@transaction.atomic(durable=True)
def adverse_event_report(
    *,
    case: ImportCase,
    reporter: User,
    onset_date: dt.date,
    description: str,
    seriousness: str,
    outcome: str = AdverseEvent.Outcome.UNKNOWN,
    lot_number: str = "",
) -> AdverseEvent:
    """Record a suspected side effect on `case` and start its reporting clock."""
    locked = (
        ImportCase.objects.select_for_update(of=("self",))
        .select_related("pathway", "patient", "physician")
        .get(pk=case.pk)
    )
    if not _may_report(locked, reporter):
        raise PermissionDenied("Only the case's physician or patient may report a side effect.")
    description = (description or "").strip()
    problems = []
    if not description:
        problems.append("a description of what happened")
    if seriousness not in AdverseEvent.Seriousness.values:
        problems.append("whether it is serious")
    if outcome not in AdverseEvent.Outcome.values:
        problems.append("the outcome")
    if onset_date is None or onset_date > timezone.localdate():
        problems.append("the date it started (not in the future)")
    if problems:
        raise DomainError(
            "Cannot report the side effect yet. Missing: " + "; ".join(problems) + "."
        )

    reported_at = timezone.now()
    report = AdverseEvent.objects.create(
        case=locked,
        reported_by=reporter,
        reported_at=reported_at,
        onset_date=onset_date,
        description=description,
        seriousness=seriousness,
        outcome=outcome,
        lot_number=(lot_number or "").strip() or locked.delivered_lot,
        due_on=timezone.localdate(reported_at)
        + dt.timedelta(days=reporting_days(locked, seriousness)),
    )
    _append_event(
        case=locked,
        actor=reporter,
        transition=REPORTED,
        from_state=locked.status,
        to_state=locked.status,
        data={
            "adverse_event_id": report.pk,
            "seriousness": report.seriousness,
            "due_on": report.due_on.isoformat(),
        },
    )
    return report


@transaction.atomic(durable=True)
def adverse_event_forward(
    *, adverse_event: AdverseEvent, actor: User, forwarded_to: str
) -> AdverseEvent:
    """Record that a coordinator sent the report to the manufacturer's safety contact;
    the overdue escalation stops."""
    report = (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=adverse_event.pk)
    )
    if not perm.is_coordinator(report.case, actor):
        raise PermissionDenied("Only a coordinator forwards side-effect reports.")
    if report.forwarded_at is not None:
        raise DomainError(f"This report was already forwarded on {report.forwarded_at:%d %b %Y}.")
    if not (forwarded_to or "").strip():
        raise DomainError("Cannot record the forwarding yet. Missing: the safety contact.")
    report.forwarded_at = timezone.now()
    report.forwarded_by = actor
    report.forwarded_to = forwarded_to.strip()
    report.save(update_fields=["forwarded_at", "forwarded_by", "forwarded_to"])
    case = report.case
    _append_event(
        case=case,
        actor=actor,
        transition=FORWARDED,
        from_state=case.status,
        to_state=case.status,
        data={"adverse_event_id": report.pk, "forwarded_to": report.forwarded_to},
    )
    return report
