"""Delivery without loss or duplicates, in one process: the event's task fans out and
sends, a claim is taken once, failures are recorded and retried, the transition
schedules its task on commit, and the sweep finds what never left.

The same properties with a real worker, a real broker and killed processes are in
test_worker.py."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services, tasks
from notifications.channels import message_id
from notifications.models import Channel, EventDispatch, Notification, Status
from notifications.services import (
    event_deliver,
    event_fan_out,
    notification_claim,
    notification_sweep,
)
from orders.services import case_transition
from orders.states import CaseStatus
from tests.notifications.conftest import event_on

S = CaseStatus


class BrokenBackend:
    """An email backend whose server refuses everything."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server refused the connection")


@pytest.fixture
def submitted_event(draft_case, physician, team):
    return event_on(draft_case, "submit", physician.user, to_state=S.SUBMITTED)


def test_one_task_per_event_fans_out_and_sends_to_every_recipient(
    submitted_event, team, patient, mailoutbox
):
    from notifications.recipients import coordinators_address

    sent = tasks.deliver_event.apply(args=(submitted_event.pk,)).get()

    assert sent == 2  # the coordinators' shared address and the patient
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [coordinators_address(), patient.user.email]
    )
    rows = Notification.objects.filter(event=submitted_event)
    assert rows.filter(channel=Channel.EMAIL, status=Status.SENT).count() == 2
    # Each coordinator and the patient in their inbox.
    assert rows.filter(channel=Channel.INBOX, status=Status.SENT).count() == 3
    assert all(row.sent_at and row.attempts == 1 for row in rows.filter(channel=Channel.EMAIL))
    assert EventDispatch.objects.filter(event=submitted_event).exists()


@pytest.mark.parametrize("more_coordinators", [0, 2, 7])
def test_submitting_a_case_emails_the_coordinators_address_once_however_many_they_are(
    more_coordinators, case_in, patient, settings, mailoutbox
):
    from npp.accounts.models import Role, User
    from orders.models import CaseEvent
    from tests.conftest import make_user

    settings.NPP_COORDINATORS_EMAIL = "new-cases@npp.example"
    for n in range(more_coordinators):
        make_user(f"coordinator{n}@npp.example", f"Coordinator {n}", Role.COORDINATOR)
    staff = set(User.objects.filter(role=Role.COORDINATOR).values_list("pk", flat=True))

    case = case_in(S.SUBMITTED)
    event_deliver(event_id=CaseEvent.objects.get(case=case, transition="submit").pk)

    assert sorted(m.to for m in mailoutbox) == [["new-cases@npp.example"], [patient.user.email]]
    team_mail = next(m for m in mailoutbox if m.to == ["new-cases@npp.example"])
    assert case.reference in team_mail.subject
    inbox = Notification.objects.filter(event__case=case, channel=Channel.INBOX)
    assert set(inbox.values_list("recipient", flat=True)) == staff | {patient.user.pk}


def test_each_email_carries_a_message_id_derived_from_its_row(submitted_event, mailoutbox):
    event_deliver(event_id=submitted_event.pk)

    for message in mailoutbox:
        row = Notification.objects.get(
            event=submitted_event, channel=Channel.EMAIL, address=message.to[0]
        )
        assert message.extra_headers["Message-ID"] == message_id(row.key)
        assert message.message()["Message-ID"] == message_id(row.key)
        assert message.alternatives[0].mimetype == "text/html"
    assert len({m.extra_headers["Message-ID"] for m in mailoutbox}) == len(mailoutbox)
    assert message_id("event:1:2:email") == message_id("event:1:2:email")
    assert message_id("event:1:2:email") != message_id("event:1:3:email")


def test_the_same_task_delivered_twice_sends_each_email_once(submitted_event, mailoutbox):
    tasks.deliver_event.apply(args=(submitted_event.pk,))
    tasks.deliver_event.apply(args=(submitted_event.pk,))

    assert len(mailoutbox) == 2
    assert Notification.objects.filter(event=submitted_event).count() == 5


def test_a_row_is_claimed_once_until_its_lease_runs_out(submitted_event, settings):
    settings.NPP_NOTIFICATION_LEASE_SECONDS = 60
    event_fan_out(event=submitted_event)
    row = Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL).first()
    now = timezone.now()

    assert notification_claim(notification=row, now=now)
    assert not notification_claim(notification=Notification.objects.get(pk=row.pk), now=now)
    assert not notification_claim(notification=row, now=now + dt.timedelta(seconds=59))
    # Its sender died: once the lease ran out, another takes it.
    assert notification_claim(notification=row, now=now + dt.timedelta(seconds=61))
    assert Notification.objects.get(pk=row.pk).attempts == 2


def test_a_sent_row_is_never_claimed_again(submitted_event, mailoutbox):
    event_deliver(event_id=submitted_event.pk)
    row = Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL).first()

    later = timezone.now() + dt.timedelta(days=1)
    assert not notification_claim(notification=row, now=later)


def test_a_row_held_by_another_sender_is_left_to_it_and_retried_after_its_lease(
    submitted_event, mailoutbox
):
    event_fan_out(event=submitted_event)
    held = Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL).first()
    assert notification_claim(notification=held)

    delivery = event_deliver(event_id=submitted_event.pk)

    assert delivery.sent == 1
    assert held.address not in [m.to[0] for m in mailoutbox]
    lease_until = Notification.objects.get(pk=held.pk).lease_until
    assert delivery.retry_at == lease_until


def test_a_failed_send_is_recorded_and_retried_with_backoff(submitted_event, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.BrokenBackend"

    delivery = event_deliver(event_id=submitted_event.pk)

    assert delivery.sent == 0
    assert delivery.failed == 2
    rows = Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL)
    for row in rows:
        assert row.status == Status.PENDING
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        assert row.lease_until > timezone.now() + dt.timedelta(seconds=10)
    assert delivery.retry_at == min(row.lease_until for row in rows)

    # Not before the backoff...
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert event_deliver(event_id=submitted_event.pk).sent == 0
    # ...then it goes.
    with time_machine.travel(delivery.retry_at + dt.timedelta(seconds=1)):
        assert event_deliver(event_id=submitted_event.pk).sent == 2
    assert len(mail.outbox) == 2
    assert all(row.status == Status.SENT and row.attempts == 2 for row in rows.all())


def test_the_backoff_grows_and_is_capped(settings):
    settings.NPP_TASK_RETRY_BACKOFF_MAX = 600

    delays = [services.retry_delay(n).total_seconds() for n in range(1, 9)]

    assert delays == [15, 30, 60, 120, 240, 480, 600, 600]


def test_a_row_is_given_up_after_the_last_attempt(submitted_event, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.BrokenBackend"
    settings.NPP_NOTIFICATION_MAX_ATTEMPTS = 2

    event_deliver(event_id=submitted_event.pk)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        delivery = event_deliver(event_id=submitted_event.pk)

    assert delivery.retry_at is None
    rows = Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL)
    assert {row.status for row in rows} == {Status.FAILED}


def test_the_task_retries_while_rows_wait(submitted_event, settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.BrokenBackend"
    countdowns = []

    def retry(*args, countdown=None, **kwargs):
        countdowns.append(countdown)
        raise RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.deliver_event, "retry", retry)

    with pytest.raises(RuntimeError, match="retry scheduled"):
        tasks.deliver_event.run(submitted_event.pk)

    assert 10 <= countdowns[0] <= settings.NPP_TASK_RETRY_BACKOFF_MAX


def test_a_task_for_an_event_that_does_not_exist_does_nothing(db, mailoutbox):
    assert tasks.deliver_event.apply(args=(987654,)).get() == 0
    assert mailoutbox == []


def test_text_messages_leave_through_the_logging_backend(
    draft_case, patient, system, caplog, mailoutbox
):
    from notifications.models import Category, NotificationPreference

    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, sms=True
    )
    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    with caplog.at_level(logging.INFO, logger="notifications.channels"):
        event_deliver(event_id=event.pk)

    assert "Text message to ***00" in caplog.text
    sms = Notification.objects.get(event=event, channel=Channel.SMS)
    assert sms.status == Status.SENT


def test_a_text_message_is_logged_with_a_masked_number_and_without_its_text(
    draft_case, patient, system, caplog, mailoutbox
):
    from notifications.models import Category, NotificationPreference

    patient.phone = "+91 98450 37164"
    patient.save(update_fields=["phone"])
    NotificationPreference.objects.create(
        user=patient.user, category=Category.CASE_UPDATES, sms=True
    )
    event = event_on(draft_case, "dispatch", system, to_state=S.IN_TRANSIT)

    with caplog.at_level(logging.DEBUG):
        event_deliver(event_id=event.pk)

    sms = Notification.objects.get(event=event, channel=Channel.SMS)
    assert sms.status == Status.SENT
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"Text message to ***64 [{sms.key}]" in logged
    for secret in ("98450 37164", "9845037164", "37164", sms.body, sms.subject):
        assert secret not in logged


# --- Scheduling on commit --------------------------------------------------------------


def test_a_transition_schedules_one_delivery_after_it_commits(
    draft_case, physician, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(
        tasks.deliver_event, "apply_async", lambda args, **options: published.append(args)
    )
    from documents.models import DocumentKind
    from portals.demo import upload

    upload(draft_case, DocumentKind.PRESCRIPTION, physician.user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_transition(case=draft_case, actor=physician.user, transition="submit")
    assert published == []  # nothing leaves before the commit

    for callback in callbacks:
        callback()
    event = draft_case.events.get(transition="submit")
    assert published == [(event.pk,)]


def test_an_event_nobody_hears_schedules_nothing(
    draft_case, physician, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(
        tasks.deliver_event, "apply_async", lambda args, **options: published.append(args)
    )
    from orders.services import case_update_request

    with django_capture_on_commit_callbacks(execute=True):
        case_update_request(case=draft_case, actor=physician.user, treatment_days=60)

    assert published == []


def test_a_broker_that_is_down_at_commit_is_logged_not_raised(
    draft_case, physician, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_event, "apply_async", down)

    with django_capture_on_commit_callbacks(execute=True):
        case = case_transition(
            case=draft_case, actor=physician.user, transition="cancel", note="Not needed."
        )

    assert case.status == S.CANCELLED
    assert "the sweep will" in caplog.text


def test_the_queue_is_configurable(draft_case, system, settings, monkeypatch):
    options = []
    monkeypatch.setattr(tasks.deliver_event, "apply_async", lambda args, **kw: options.append(kw))
    settings.NPP_NOTIFICATION_QUEUE = "notifications-only"

    tasks.enqueue_event(1)

    assert options == [{"queue": "notifications-only"}]


# --- The sweep --------------------------------------------------------------------------


def test_the_sweep_finds_events_never_fanned_out_after_a_grace_period(draft_case, system, settings):
    settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = 60
    event = event_on(draft_case, "submit", system, to_state=S.SUBMITTED)
    quiet = event_on(draft_case, "update_request", system)
    created = event.created_at

    assert notification_sweep(now=created + dt.timedelta(seconds=30)).event_ids == []
    later = notification_sweep(now=created + dt.timedelta(seconds=61))
    assert later.event_ids == [event.pk]
    assert quiet.pk not in later.event_ids
    too_old = notification_sweep(now=created + dt.timedelta(hours=25))
    assert too_old.event_ids == []


def test_the_sweep_finds_unsent_rows_but_not_sent_or_held_ones(
    submitted_event, settings, mailoutbox
):
    settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    event_fan_out(event=submitted_event)
    now = timezone.now() + dt.timedelta(seconds=1)

    assert notification_sweep(now=now).event_ids == [submitted_event.pk]

    rows = list(Notification.objects.filter(event=submitted_event, channel=Channel.EMAIL))
    for row in rows:
        notification_claim(notification=row, now=now)
    assert notification_sweep(now=now).event_ids == []  # senders hold them
    lease_over = now + dt.timedelta(seconds=settings.NPP_NOTIFICATION_LEASE_SECONDS + 1)
    assert notification_sweep(now=lease_over).event_ids == [submitted_event.pk]

    with time_machine.travel(lease_over):
        event_deliver(event_id=submitted_event.pk)
    assert notification_sweep(now=lease_over).event_ids == []


def test_the_sweep_task_enqueues_what_it_found(submitted_event, settings, monkeypatch):
    settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    published = []
    monkeypatch.setattr(
        tasks.deliver_event, "apply_async", lambda args, **kw: published.append(args)
    )

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2)):
        result = tasks.sweep.apply().get()

    assert result["events"] == 1
    assert published == [(submitted_event.pk,)]
