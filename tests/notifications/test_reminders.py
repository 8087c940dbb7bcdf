"""Reminders that keep cases moving, with a frozen clock moved across each boundary:
stalled cases and their escalation, unanswered questions, permits about to expire,
resupply (Lupkynis: 3 capsules twice daily = 6 a day) and monitoring dates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from notifications import reminders, tasks
from notifications.models import Channel, Notification, Reminder, ReminderKind
from notifications.services import notifications_send
from orders.models import ImportCase, Priority
from orders.services import case_create, case_transition
from orders.states import CaseStatus

S = CaseStatus
K = ReminderKind


def local(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def issue_at(moment: dt.datetime) -> dict[str, list[int]]:
    """Run the reminder job as beat would, with the clock frozen at `moment`."""
    with time_machine.travel(moment, tick=False):
        return reminders.reminders_issue_due()


def reminded(kind: ReminderKind, case: ImportCase) -> list[tuple[str, dt.date, str]]:
    rows = Reminder.objects.filter(kind=kind, case=case).order_by("due_on", "recipient__email")
    return [(r.recipient.email, r.due_on, r.subject) for r in rows]


def changed_at(case: ImportCase, moment: dt.datetime) -> ImportCase:
    """As if the case had entered its state at `moment`."""
    ImportCase.objects.filter(pk=case.pk).update(state_changed_at=moment)
    return ImportCase.objects.get(pk=case.pk)


ENTERED = local(dt.date(2026, 3, 2), hour=10)


# --- Stalled and escalated ----------------------------------------------------------


@pytest.fixture
def stalled_submission(case_in, coordinator, other_coordinator):
    """Submitted on 2 March at 10:00; India expects 2 days in 'submitted'."""
    case = case_in(S.SUBMITTED)
    ImportCase.objects.filter(pk=case.pk).update(assigned_coordinator=coordinator)
    return changed_at(case, ENTERED)


def test_a_case_longer_in_its_state_than_expected_reminds_its_coordinator(
    stalled_submission, coordinator
):
    case = stalled_submission

    issue_at(ENTERED + dt.timedelta(days=2, minutes=-1))
    assert reminded(K.STALLED, case) == []

    issue_at(ENTERED + dt.timedelta(days=2, minutes=1))
    assert reminded(K.STALLED, case) == [(coordinator.email, dt.date(2026, 3, 4), "")]

    issue_at(ENTERED + dt.timedelta(days=3))  # the next run reminds no one again
    assert len(reminded(K.STALLED, case)) == 1
    email = Notification.objects.get(reminder__kind=K.STALLED, channel=Channel.EMAIL)
    assert case.reference in email.subject
    assert "2 days" in email.body


def test_a_stalled_case_nobody_took_reminds_the_team_with_one_email(
    case_in, coordinator, other_coordinator
):
    from notifications.recipients import coordinators_address
    from npp.accounts.models import Role
    from tests.conftest import make_user

    case = changed_at(case_in(S.SUBMITTED), ENTERED)

    issue_at(ENTERED + dt.timedelta(days=2, minutes=1))
    make_user("carla@npp.example", "Carla Coordinator", Role.COORDINATOR)
    issue_at(ENTERED + dt.timedelta(days=2, hours=1))  # a newcomer is told, the team is not

    rows = Notification.objects.filter(reminder__kind=K.STALLED, reminder__case=case)
    emails = rows.filter(channel=Channel.EMAIL)
    assert list(emails.values_list("recipient", "address")) == [(None, coordinators_address())]
    assert rows.filter(channel=Channel.INBOX).count() == 3
    assert case.reference in emails.get().subject


def test_a_stalled_case_escalates_to_every_coordinator(
    stalled_submission, coordinator, other_coordinator
):
    case = stalled_submission

    issue_at(ENTERED + dt.timedelta(days=4, minutes=-1))
    assert reminded(K.ESCALATION, case) == []

    issue_at(ENTERED + dt.timedelta(days=4, minutes=1))
    assert reminded(K.ESCALATION, case) == [
        (other_coordinator.email, dt.date(2026, 3, 6), ""),
        (coordinator.email, dt.date(2026, 3, 6), ""),
    ]
    email = Notification.objects.filter(reminder__kind=K.ESCALATION, channel=Channel.EMAIL)
    assert all(row.subject.startswith("ESCALATION") for row in email)


def test_an_urgent_case_is_stalled_sooner(stalled_submission, coordinator):
    case = stalled_submission
    ImportCase.objects.filter(pk=case.pk).update(priority=Priority.URGENT)

    issue_at(ENTERED + dt.timedelta(days=1, minutes=-1))
    assert reminded(K.STALLED, case) == []
    issue_at(ENTERED + dt.timedelta(days=1, minutes=1))
    assert reminded(K.STALLED, case) == [(coordinator.email, dt.date(2026, 3, 3), "")]


def test_a_case_that_moved_on_starts_a_new_clock(stalled_submission, coordinator):
    case = stalled_submission
    issue_at(ENTERED + dt.timedelta(days=2, minutes=1))
    case_transition(case=case, actor=coordinator, transition="hold", note="Waiting for a call.")

    issue_at(ENTERED + dt.timedelta(days=30))

    # On hold is a pause, not a stall.
    assert len(reminded(K.STALLED, case)) == 1


def test_reminding_twice_at_once_still_reminds_once(stalled_submission):
    moment = ENTERED + dt.timedelta(days=2, hours=1)

    first = issue_at(moment)
    second = issue_at(moment)

    assert len(first[K.STALLED]) == 1  # the email to send; the inbox entry is there already
    assert second[K.STALLED] == []


# --- Unanswered questions ---------------------------------------------------------------


def test_an_unanswered_question_reminds_the_physician_again_each_period(
    case_in, coordinator, physician
):
    case = case_in(S.SUBMITTED)
    case = case_transition(
        case=case,
        actor=coordinator,
        transition="request_information",
        note="Please send the latest eGFR report.",
    )
    case = changed_at(case, ENTERED)

    issue_at(ENTERED + dt.timedelta(days=3, minutes=-1))
    assert reminded(K.INFORMATION_UNANSWERED, case) == []

    issue_at(ENTERED + dt.timedelta(days=3, minutes=1))
    assert reminded(K.INFORMATION_UNANSWERED, case) == [
        (physician.user.email, dt.date(2026, 3, 5), "")
    ]
    email = Notification.objects.get(reminder__kind=K.INFORMATION_UNANSWERED, channel="email")
    assert "Please send the latest eGFR report." in email.body

    issue_at(ENTERED + dt.timedelta(days=5))
    assert len(reminded(K.INFORMATION_UNANSWERED, case)) == 1
    issue_at(ENTERED + dt.timedelta(days=6, minutes=1))
    assert [due for _, due, _ in reminded(K.INFORMATION_UNANSWERED, case)] == [
        dt.date(2026, 3, 5),
        dt.date(2026, 3, 8),
    ]


# --- Permits ------------------------------------------------------------------------------


@pytest.fixture
def ordering(case_in, coordinator):
    """Permit valid until 30 June 2026; the goods are still being ordered."""
    case = case_in(S.SUPPLIER_ORDERING)
    ImportCase.objects.filter(pk=case.pk).update(
        permit_valid_until=dt.date(2026, 6, 30), assigned_coordinator=coordinator
    )
    return ImportCase.objects.get(pk=case.pk)


def test_a_permit_expiring_before_clearance_reminds_30_and_7_days_ahead(ordering, coordinator):
    case = ordering

    issue_at(local(dt.date(2026, 5, 30)))  # 31 days left
    assert reminded(K.PERMIT_EXPIRY, case) == []

    issue_at(local(dt.date(2026, 5, 31)))  # 30 days left
    assert reminded(K.PERMIT_EXPIRY, case) == [(coordinator.email, dt.date(2026, 5, 31), "30 days")]

    issue_at(local(dt.date(2026, 6, 22)))  # 8 days left
    assert len(reminded(K.PERMIT_EXPIRY, case)) == 1

    issue_at(local(dt.date(2026, 6, 23)))  # 7 days left
    assert reminded(K.PERMIT_EXPIRY, case)[-1] == (
        coordinator.email,
        dt.date(2026, 6, 23),
        "7 days",
    )
    email = Notification.objects.filter(reminder__kind=K.PERMIT_EXPIRY, channel="email").first()
    assert "30 Jun 2026" in email.body


def test_a_permit_recorded_close_to_expiry_gets_only_the_most_urgent_reminder(ordering):
    issue_at(local(dt.date(2026, 6, 25)))

    assert [subject for _, _, subject in reminded(K.PERMIT_EXPIRY, ordering)] == ["7 days"]


def test_goods_that_cleared_customs_need_no_permit_reminder(ordering, coordinator):
    ImportCase.objects.filter(pk=ordering.pk).update(status=S.OUT_FOR_DELIVERY)

    issue_at(local(dt.date(2026, 6, 25)))

    assert reminded(K.PERMIT_EXPIRY, ordering) == []


# --- Resupply -------------------------------------------------------------------------------

DELIVERED = local(dt.date(2026, 4, 1), hour=15)


@pytest.fixture
def delivered(case_in):
    """Lupkynis, 3 packs of 180 capsules, 3 capsules twice daily, delivered 1 April."""
    case = case_in(S.DELIVERED)
    ImportCase.objects.filter(pk=case.pk).update(delivered_at=DELIVERED)
    return ImportCase.objects.get(pk=case.pk)


def test_lupkynis_at_six_capsules_a_day_runs_out_after_90_days(delivered, lupkynis):
    assert lupkynis.units_per_pack == 180
    assert delivered.daily_units == 6  # 3 capsules twice daily
    assert reminders.units_delivered(delivered) == 540
    assert reminders.run_out_date(delivered) == dt.date(2026, 6, 30)
    # Permit 3 + ordering 7 + transit 7 + customs 3 days, and a 14-day margin.
    assert reminders.lead_time_days(delivered.pathway) == 34
    assert reminders.resupply_reminder_date(delivered) == dt.date(2026, 5, 28)


def test_the_lead_time_follows_the_pathway_and_the_margin(delivered, settings):
    settings.NPP_RESUPPLY_MARGIN_DAYS = 0
    delivered.pathway.expected_days["awaiting_permit"] = 30

    assert reminders.lead_time_days(delivered.pathway) == 47


def test_resupply_is_due_when_fewer_days_remain_than_the_lead_time(
    delivered, coordinator, physician
):
    issue_at(local(dt.date(2026, 5, 27)))  # 34 days of medicine left: not yet
    assert reminded(K.RESUPPLY, delivered) == []

    issue_at(local(dt.date(2026, 5, 28)))  # 33 left
    assert reminded(K.RESUPPLY, delivered) == [
        (physician.user.email, dt.date(2026, 5, 28), ""),
        (coordinator.email, dt.date(2026, 5, 28), ""),
    ]
    email = Notification.objects.get(
        reminder__kind=K.RESUPPLY, recipient=physician.user, channel="email"
    )
    assert "30 Jun 2026" in email.body
    assert "33 days" in email.body


def test_resupply_counts_a_smaller_dose_and_the_packs_shipped(delivered):
    ImportCase.objects.filter(pk=delivered.pk).update(daily_units=4)
    delivered.shipments.update(quantity_packs=2)
    case = ImportCase.objects.get(pk=delivered.pk)

    assert reminders.run_out_date(case) == dt.date(2026, 4, 1) + dt.timedelta(days=90)


def test_an_open_resupply_case_silences_the_reminder(delivered, physician):
    case_create(
        actor=physician.user,
        patient=delivered.patient,
        physician=delivered.physician,
        product=delivered.product,
        resupply_of=delivered,
    )

    issue_at(local(dt.date(2026, 6, 1)))

    assert reminded(K.RESUPPLY, delivered) == []


# --- Monitoring -------------------------------------------------------------------------------


def test_lupkynis_monitoring_every_two_weeks_in_the_first_month_then_monthly(lupkynis):
    days = reminders.monitoring_days(lupkynis.monitoring_schedule, 90)

    assert days == {
        14: ["eGFR", "Blood pressure"],
        28: ["eGFR", "Blood pressure"],
        60: ["eGFR"],
        90: ["eGFR"],
    }


def test_monitoring_dates_count_from_the_delivery_date(delivered):
    assert reminders.monitoring_dates(delivered) == {
        dt.date(2026, 4, 15): ["eGFR", "Blood pressure"],
        dt.date(2026, 4, 29): ["eGFR", "Blood pressure"],
        dt.date(2026, 5, 31): ["eGFR"],
        dt.date(2026, 6, 30): ["eGFR"],
    }


def test_the_physician_is_reminded_two_days_before_each_test(delivered, physician):
    issue_at(local(dt.date(2026, 4, 12)))
    assert reminded(K.MONITORING, delivered) == []

    issue_at(local(dt.date(2026, 4, 13)))
    assert reminded(K.MONITORING, delivered) == [
        (physician.user.email, dt.date(2026, 4, 15), "eGFR, Blood pressure")
    ]

    issue_at(local(dt.date(2026, 4, 15)))
    issue_at(local(dt.date(2026, 5, 29)))
    assert [due for _, due, _ in reminded(K.MONITORING, delivered)] == [
        dt.date(2026, 4, 15),
        dt.date(2026, 5, 31),
    ]
    email = Notification.objects.get(
        reminder__kind=K.MONITORING, reminder__due_on=dt.date(2026, 5, 31), channel="email"
    )
    assert "eGFR" in email.subject
    assert "day 60" in email.body


def test_a_resupply_continues_the_schedule_of_the_first_delivery(delivered, physician):
    follow_up = case_create(
        actor=physician.user,
        patient=delivered.patient,
        physician=delivered.physician,
        product=delivered.product,
        resupply_of=delivered,
        daily_units=6,
        quantity_packs=3,
    )
    ImportCase.objects.filter(pk=follow_up.pk).update(
        status=S.DELIVERED, delivered_at=local(dt.date(2026, 6, 25))
    )
    follow_up = ImportCase.objects.get(pk=follow_up.pk)

    dates = reminders.monitoring_dates(follow_up)

    # Day 90 of the treatment (30 June) onwards, monthly: not day 14 again.
    assert min(dates) == dt.date(2026, 6, 30)
    assert all(tests == ["eGFR"] for tests in dates.values())


# --- The beat task ------------------------------------------------------------------------------


def test_the_reminder_task_issues_and_enqueues_the_new_rows(
    stalled_submission, monkeypatch, mailoutbox
):
    published = []
    monkeypatch.setattr(
        tasks.send_notifications, "apply_async", lambda args, **kw: published.append(args[0])
    )

    with time_machine.travel(ENTERED + dt.timedelta(days=2, hours=1), tick=False):
        counts = tasks.send_reminders.apply().get()

    assert counts[K.STALLED] == 1
    assert len(published) == 1
    notifications_send(Notification.objects.filter(pk__in=published[0]))
    assert len(mailoutbox) == 1
    assert stalled_submission.reference in mailoutbox[0].subject


def test_one_failing_kind_does_not_stop_the_others(stalled_submission, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("bad pathway data")

    monkeypatch.setattr(reminders, "expiring_permits", broken)

    issued = issue_at(ENTERED + dt.timedelta(days=2, hours=1))

    assert issued[K.PERMIT_EXPIRY] == []
    assert issued[K.STALLED]
