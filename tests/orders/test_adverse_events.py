"""Suspected side effects: who may report them, the reporting clock per pathway and
supplier, coordinators told at once, and escalation when a report is overdue."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from notifications import reminders, tasks
from notifications.models import Category, Notification, NotificationPreference, Reminder
from notifications.models import ReminderKind as K
from notifications.recipients import WHO_HEARS_WHAT
from orders import adverse_events
from orders.adverse_events import (
    ACKNOWLEDGED,
    REPORTED,
    adverse_event_acknowledge,
    adverse_event_forward,
    adverse_event_report,
    adverse_event_report_sent,
    reporting_days,
)
from orders.errors import DomainError
from orders.models import AdverseEvent, CaseEvent, Supplier
from orders.states import CaseStatus

S = CaseStatus
SERIOUS = AdverseEvent.Seriousness.SERIOUS
NON_SERIOUS = AdverseEvent.Seriousness.NON_SERIOUS


@pytest.fixture
def delivered(case_in):
    return case_in(S.DELIVERED)


@pytest.fixture
def deliver_at_once(monkeypatch):
    """Run each event's delivery task in this process when it is enqueued."""
    monkeypatch.setattr(
        tasks.deliver_event, "apply_async", lambda args, **kw: tasks.deliver_event.apply(args)
    )


def report(case, reporter, **overrides):
    values = {
        "onset_date": timezone.localdate() - dt.timedelta(days=2),
        "description": "Tremor of both hands and headache since the dose was increased.",
        "seriousness": NON_SERIOUS,
        "outcome": AdverseEvent.Outcome.RECOVERING,
    }
    values.update(overrides)
    return adverse_event_report(case=case, reporter=reporter, **values)


def sent_and_acknowledged(reported, coordinator) -> None:
    """Forwarded to the manufacturer, who confirms receipt today."""
    adverse_event_forward(
        adverse_event=reported, actor=coordinator, forwarded_to="safety@aurinia.example"
    )
    adverse_event_acknowledge(
        adverse_event=reported,
        actor=coordinator,
        acknowledged_on=timezone.localdate(),
        manufacturer_reference="AUR-PV-2026-0412",
    )


def test_the_physician_reports_a_side_effect_of_their_own_patients_case(delivered, physician):
    reported = report(delivered, physician.user, seriousness=SERIOUS)

    assert reported.reported_by == physician.user
    assert reported.lot_number == delivered.delivered_lot != ""
    assert reported.due_on == timezone.localdate() + dt.timedelta(days=7)
    event = CaseEvent.objects.filter(case=delivered).last()
    assert event.transition == REPORTED
    assert REPORTED in WHO_HEARS_WHAT  # the notifications key the same event by name
    assert (event.from_state, event.to_state) == (S.DELIVERED, S.DELIVERED)
    assert event.data == {
        "adverse_event_id": reported.pk,
        "seriousness": "serious",
        "due_on": reported.due_on.isoformat(),
    }


def test_coordinators_hear_of_it_as_soon_as_it_commits(
    delivered,
    patient,
    physician,
    coordinator,
    other_coordinator,
    deliver_at_once,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        report(delivered, patient.user, seriousness=SERIOUS, lot_number="LOT-ON-PACK")

    to = sorted(message.to[0] for message in mailoutbox)
    assert to == sorted([coordinator.email, other_coordinator.email, physician.user.email])
    coordinator_mail = next(m for m in mailoutbox if m.to == [coordinator.email])
    assert coordinator_mail.subject.startswith("SAFETY: serious adverse event")
    assert "Tremor of both hands" in coordinator_mail.body
    assert "LOT-ON-PACK" in coordinator_mail.body
    rows = Notification.objects.filter(event__transition=REPORTED)
    assert {row.category for row in rows} == {Category.SAFETY}
    assert not rows.filter(recipient=patient.user).exists()  # they reported it


def test_safety_reports_reach_coordinators_who_switched_email_off(
    delivered,
    physician,
    coordinator,
    deliver_at_once,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    NotificationPreference.objects.create(user=coordinator, category=Category.SAFETY, email=False)

    with django_capture_on_commit_callbacks(execute=True):
        report(delivered, physician.user)

    assert [m.to for m in mailoutbox] == [[coordinator.email]]


@pytest.mark.parametrize("who", ["other_physician", "other_patient"])
def test_no_one_reports_on_a_case_that_is_not_theirs(delivered, request, who):
    outsider = request.getfixturevalue(who).user

    with pytest.raises(PermissionDenied):
        report(delivered, outsider)

    assert not AdverseEvent.objects.exists()
    assert not CaseEvent.objects.filter(transition=REPORTED).exists()


def test_a_coordinator_may_report_for_them(delivered, coordinator):
    assert report(delivered, coordinator).reported_by == coordinator


@pytest.mark.parametrize(
    "overrides,missing",
    [
        ({"description": "  "}, "a description"),
        ({"seriousness": "mild"}, "whether it is serious"),
        ({"outcome": "fine"}, "the outcome"),
        ({"onset_date": dt.date(2099, 1, 1)}, "not in the future"),
    ],
)
def test_an_incomplete_report_is_refused_naming_what_is_missing(
    delivered, physician, overrides, missing
):
    with pytest.raises(DomainError, match=missing):
        report(delivered, physician.user, **overrides)

    assert not AdverseEvent.objects.exists()


# --- The clock --------------------------------------------------------------------------


def test_serious_reports_are_due_in_7_days_and_others_in_15(delivered):
    assert reporting_days(delivered, SERIOUS) == 7
    assert reporting_days(delivered, NON_SERIOUS) == 15


def test_the_clock_is_configurable_per_pathway_and_per_supplier(delivered):
    pathway = delivered.pathway
    pathway.adverse_event_days = {"serious": 4, "non_serious": 10}
    pathway.save()
    assert reporting_days(delivered, SERIOUS) == 4

    supplier = delivered.current_shipment.supplier
    pathway.adverse_event_days["suppliers"] = {supplier.name: {"serious": 2}}
    pathway.save()
    assert reporting_days(delivered, SERIOUS) == 2
    assert reporting_days(delivered, NON_SERIOUS) == 10
    other = Supplier.objects.create(name="Another distributor", country="DE", kind="manufacturer")
    delivered.shipments.update(supplier=other)
    assert reporting_days(delivered, SERIOUS) == 4


def test_a_report_not_acknowledged_in_time_escalates_to_every_coordinator(
    delivered, physician, coordinator, other_coordinator
):
    reported = report(delivered, physician.user, seriousness=SERIOUS)
    # Sent, but the manufacturer never confirms receipt: the clock runs out all the same.
    adverse_event_report_sent(
        adverse_event=reported, sent_to="drug.safety@aurinia.example", sent_at=timezone.now()
    )
    due = reported.due_on
    noon = dt.time(12, tzinfo=timezone.get_current_timezone())

    with time_machine.travel(dt.datetime.combine(due, noon), tick=False):
        reminders.reminders_issue_due()
    assert not Reminder.objects.filter(kind=K.ADVERSE_EVENT_OVERDUE).exists()

    with time_machine.travel(dt.datetime.combine(due + dt.timedelta(days=1), noon), tick=False):
        reminders.reminders_issue_due()
        reminders.reminders_issue_due()

    overdue = Reminder.objects.filter(kind=K.ADVERSE_EVENT_OVERDUE)
    assert {r.recipient for r in overdue} == {coordinator, other_coordinator}
    assert {r.due_on for r in overdue} == {due}
    email = Notification.objects.filter(reminder__in=overdue, channel="email").first()
    assert email.subject.startswith("OVERDUE")
    assert "not acknowledged by the manufacturer" in email.subject
    assert "went to drug.safety@aurinia.example" in email.body
    assert "no receipt is recorded" in email.body
    assert email.category == Category.SAFETY


def test_a_report_never_sent_escalates_too(delivered, physician, coordinator):
    reported = report(delivered, physician.user)
    later = dt.datetime.combine(
        reported.due_on + dt.timedelta(days=1), dt.time(12, tzinfo=timezone.get_current_timezone())
    )

    with time_machine.travel(later, tick=False):
        reminders.reminders_issue_due()

    email = Notification.objects.get(reminder__kind=K.ADVERSE_EVENT_OVERDUE, channel="email")
    assert "has not reached the manufacturer" in email.body


def test_an_acknowledged_report_does_not_escalate(delivered, physician, coordinator):
    reported = report(delivered, physician.user, seriousness=SERIOUS)
    sent_and_acknowledged(reported, coordinator)
    later = dt.datetime.combine(
        reported.due_on + dt.timedelta(days=3), dt.time(12, tzinfo=timezone.get_current_timezone())
    )

    with time_machine.travel(later, tick=False):
        reminders.reminders_issue_due()

    assert not Reminder.objects.filter(kind=K.ADVERSE_EVENT_OVERDUE).exists()
    reported.refresh_from_db()
    assert reported.forwarded_by == coordinator
    assert (reported.acknowledged_on, reported.acknowledged_by) == (
        timezone.localdate(),
        coordinator,
    )
    assert reported.manufacturer_reference == "AUR-PV-2026-0412"
    event = CaseEvent.objects.filter(case=delivered).last()
    assert event.transition == ACKNOWLEDGED
    assert event.actor == coordinator
    assert event.data == {
        "adverse_event_id": reported.pk,
        "acknowledged_on": timezone.localdate().isoformat(),
        "manufacturer_reference": "AUR-PV-2026-0412",
    }


def test_the_acknowledgement_is_a_coordinators_once_after_sending_with_a_sensible_date(
    delivered, physician, coordinator
):
    reported = report(delivered, physician.user)
    today = timezone.localdate()

    with pytest.raises(DomainError, match="not been sent"):
        adverse_event_acknowledge(adverse_event=reported, actor=coordinator, acknowledged_on=today)
    adverse_event_report_sent(
        adverse_event=reported, sent_to="drug.safety@aurinia.example", sent_at=timezone.now()
    )
    with pytest.raises(PermissionDenied):
        adverse_event_acknowledge(
            adverse_event=reported, actor=physician.user, acknowledged_on=today
        )
    for wrong in (today + dt.timedelta(days=1), today - dt.timedelta(days=1)):
        with pytest.raises(DomainError, match="between the day the report was sent"):
            adverse_event_acknowledge(
                adverse_event=reported, actor=coordinator, acknowledged_on=wrong
            )
    adverse_event_acknowledge(adverse_event=reported, actor=coordinator, acknowledged_on=today)
    with pytest.raises(DomainError, match="already recorded"):
        adverse_event_acknowledge(adverse_event=reported, actor=coordinator, acknowledged_on=today)
    assert CaseEvent.objects.filter(transition=ACKNOWLEDGED).count() == 1


def test_only_a_coordinator_forwards_a_report_and_only_once(delivered, physician, coordinator):
    reported = report(delivered, physician.user)

    with pytest.raises(PermissionDenied):
        adverse_event_forward(
            adverse_event=reported, actor=physician.user, forwarded_to="safety@x.example"
        )
    adverse_event_forward(
        adverse_event=reported, actor=coordinator, forwarded_to="safety@x.example"
    )
    with pytest.raises(DomainError, match="already forwarded"):
        adverse_event_forward(
            adverse_event=reported, actor=coordinator, forwarded_to="safety@x.example"
        )


def test_a_report_is_overdue_after_its_due_day_until_acknowledged_one_rule_for_page_and_reminder(
    delivered, physician, coordinator
):
    """AdverseEvent.overdue_on (the case page's badge) and the queryset the overdue
    reminder reads say the same of each report, on each day around the due date."""
    from tests.portals.coordinator_helpers import case_url, signed_in

    pending = report(delivered, physician.user, seriousness=SERIOUS)
    acknowledged = report(delivered, physician.user)
    sent_and_acknowledged(acknowledged, coordinator)
    pending.refresh_from_db()
    acknowledged.refresh_from_db()
    due = pending.due_on

    def overdue(today):
        listed = set(AdverseEvent.objects.overdue(today))
        each = {r for r in (pending, acknowledged) if r.overdue_on(today)}
        assert listed == each
        return each

    assert overdue(due - dt.timedelta(days=1)) == set()
    assert overdue(due) == set()  # the due day itself is not late
    assert overdue(due + dt.timedelta(days=1)) == {pending}
    assert overdue(acknowledged.due_on + dt.timedelta(days=30)) == {pending}

    def badges():
        # Signed in at the travelled-to time (an idle session would have expired).
        page = signed_in(coordinator).get(case_url(delivered)).content.decode()
        return page.split('id="side-effects"')[1].split("</section>")[0].count("Overdue")

    noon = dt.time(12, tzinfo=timezone.get_current_timezone())
    with time_machine.travel(dt.datetime.combine(due, noon), tick=False):
        assert not pending.is_overdue
        assert badges() == 0
    with time_machine.travel(dt.datetime.combine(due + dt.timedelta(days=1), noon), tick=False):
        assert pending.is_overdue
        assert badges() == 1


def test_each_side_effect_event_is_named_once_for_the_history_and_the_notifications():
    """The events orders.adverse_events appends are the keys the timeline, the
    recipients and the supplier's email template are looked up by."""
    from django.template.loader import get_template

    from notifications.recipients import EXTERNAL_RECIPIENTS, SUPPLIER_SAFETY
    from notifications.services import ADVERSE_EVENT_REPORT_TEMPLATE
    from orders.timeline import EVENT_TITLES

    steps = (REPORTED, adverse_events.PREPARED, adverse_events.FORWARDED, adverse_events.UNSENT)
    assert all(step in EVENT_TITLES for step in (*steps, ACKNOWLEDGED))
    assert {REPORTED, adverse_events.PREPARED, adverse_events.UNSENT} <= set(WHO_HEARS_WHAT)
    assert EXTERNAL_RECIPIENTS == {adverse_events.PREPARED: SUPPLIER_SAFETY}
    for part in ("subject.txt", "body.txt", "body.html"):
        get_template(f"notifications/{ADVERSE_EVENT_REPORT_TEMPLATE}-{part}")
