"""Suspected side effects: reported by the case's physician or patient (or a
coordinator for them), sent on a CIOMS I form to the supplier's pharmacovigilance
address, and acknowledged by the manufacturer within the pathway's clock.

A report appends a `report_adverse_event` event to the case, in the same
transaction, so it is in the case's history and leaves through the outbox like
every event: the coordinators (and the physician, when the patient reported it)
hear of it as soon as it commits (notifications.recipients).

Then, each step an event of the case (the history an inspector reads):
- `send_adverse_event_report`: the CIOMS I form was generated (documents.generation.
  adverse_event_report) and goes to the safety contact; its email leaves through the
  notification outbox, once, with the form attached;
- `forward_adverse_event`: that email left (recorded with its sending);
- `adverse_event_report_unsent`: it cannot be sent (no pharmacovigilance address, or
  the email was given up); the coordinators are told;
- `acknowledge_adverse_event`: a coordinator records the manufacturer's receipt.
A report not acknowledged by its due date escalates to every coordinator
(notifications.reminders).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from npp.accounts.models import User
from orders import permissions as perm
from orders.errors import DomainError
from orders.models import AdverseEvent, ImportCase, Supplier
from orders.services import _append_event, system_user

REPORTED = "report_adverse_event"
PREPARED = "send_adverse_event_report"
FORWARDED = "forward_adverse_event"
UNSENT = "adverse_event_report_unsent"
ACKNOWLEDGED = "acknowledge_adverse_event"

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
        raise PermissionDenied(_("Only the case's physician or patient may report a side effect."))
    description = (description or "").strip()
    # Read by the patient who reports: in her language.
    problems = []
    if not description:
        problems.append(_("a description of what happened"))
    if seriousness not in AdverseEvent.Seriousness.values:
        problems.append(_("whether it is serious"))
    if outcome not in AdverseEvent.Outcome.values:
        problems.append(_("the outcome"))
    if onset_date is None or onset_date > timezone.localdate():
        problems.append(_("the date it started (not in the future)"))
    if problems:
        raise DomainError(
            _("Cannot report the side effect yet. Missing: %(missing)s.")
            % {"missing": "; ".join(problems)}
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


# --- The CIOMS I report: prepared, sent, acknowledged -------------------------------------


def safety_contact(case: ImportCase) -> tuple[Supplier | None, str]:
    """Who receives a side-effect report of `case`: the supplier the lot came from
    (the product's usual source before a shipment), and its pharmacovigilance
    address ("" when the catalogue has none)."""
    supplier = case.source_of_supply
    return supplier, (supplier.safety_contact_email.strip() if supplier else "")


def _locked(adverse_event: AdverseEvent | int) -> AdverseEvent:
    pk = adverse_event if isinstance(adverse_event, int) else adverse_event.pk
    return AdverseEvent.objects.select_for_update(of=("self",)).select_related("case").get(pk=pk)


def _append(report: AdverseEvent, transition: str, actor: User, **data) -> None:
    case = report.case
    _append_event(
        case=case,
        actor=actor,
        transition=transition,
        from_state=case.status,
        to_state=case.status,
        data={"adverse_event_id": report.pk, **data},
    )


@transaction.atomic
def adverse_event_report_prepared(
    *, adverse_event: AdverseEvent, document, safety_contact: str
) -> bool:
    """Link the generated CIOMS I form (a stored document) to the report and append
    `send_adverse_event_report`, whose notification takes it to `safety_contact`.
    Inside the caller's transaction (the one storing the document). False, and
    nothing written, when the report already has its form (a second render)."""
    report = _locked(adverse_event)
    if report.report_document_id is not None:
        return False
    report.report_document = document
    report.save(update_fields=["report_document"])
    _append(
        report,
        PREPARED,
        system_user(),
        safety_contact=safety_contact,
        document_id=document.pk,
        document_version=document.version,
        sha256=document.sha256,
    )
    return True


@transaction.atomic
def adverse_event_report_unsent(*, adverse_event: AdverseEvent | int, reason: str) -> bool:
    """Record that the report cannot reach the manufacturer, and why: the
    coordinators hear of it (they send it another way and record it, or fix the
    address and send again). Nothing is written for a report already sent."""
    report = _locked(adverse_event)
    if report.forwarded_at is not None:
        return False
    _append(report, UNSENT, system_user(), reason=reason)
    return True


@transaction.atomic
def adverse_event_report_sent(
    *, adverse_event: AdverseEvent | int, sent_to: str, sent_at: dt.datetime
) -> bool:
    """The email with the CIOMS I form left for `sent_to`: the report is forwarded.
    Called in the transaction that records the email as sent, so the two agree;
    a second call (the email redelivered) changes nothing."""
    report = _locked(adverse_event)
    if report.forwarded_at is not None:
        return False
    report.forwarded_at = sent_at
    report.forwarded_to = sent_to
    report.forwarded_by = system_user()
    report.save(update_fields=["forwarded_at", "forwarded_to", "forwarded_by"])
    _append(report, FORWARDED, report.forwarded_by, forwarded_to=sent_to)
    return True


@transaction.atomic(durable=True)
def adverse_event_acknowledge(
    *,
    adverse_event: AdverseEvent,
    actor: User,
    acknowledged_on: dt.date | None,
    manufacturer_reference: str = "",
) -> AdverseEvent:
    """A coordinator records that the manufacturer confirmed receipt (their email or
    letter, with their own case number if they gave one): the clock stops."""
    report = _locked(adverse_event)
    if not perm.is_coordinator(report.case, actor):
        raise PermissionDenied("Only a coordinator records the manufacturer's acknowledgement.")
    if report.acknowledged_on is not None:
        raise DomainError(
            f"The manufacturer's receipt was already recorded ({report.acknowledged_on:%d %b %Y})."
        )
    if report.forwarded_at is None:
        raise DomainError(
            "The report has not been sent to the manufacturer yet: nothing to acknowledge."
        )
    sent_on = timezone.localdate(report.forwarded_at)
    if acknowledged_on is None:
        raise DomainError("Cannot record the acknowledgement yet. Missing: the date of receipt.")
    if acknowledged_on > timezone.localdate() or acknowledged_on < sent_on:
        raise DomainError(
            f"The date of receipt must be between the day the report was sent "
            f"({sent_on:%d %b %Y}) and today."
        )
    report.acknowledged_on = acknowledged_on
    report.manufacturer_reference = (manufacturer_reference or "").strip()
    report.acknowledged_by = actor
    report.save(update_fields=["acknowledged_on", "manufacturer_reference", "acknowledged_by"])
    _append(
        report,
        ACKNOWLEDGED,
        actor,
        acknowledged_on=acknowledged_on.isoformat(),
        manufacturer_reference=report.manufacturer_reference,
    )
    return report
