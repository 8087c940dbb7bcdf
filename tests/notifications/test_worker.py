"""Delivery through a real Celery worker on Redis and PostgreSQL, and what survives
when things break: the broker down at commit, workers killed with SIGKILL (a pool
process, and the whole worker) mid-send, the same task delivered twice. The worker
is a subprocess on the test database and a queue of the test's own; it writes
emails with the file backend into this test's folder, which the test reads.

A negative control runs the same kill test with Celery's default early
acknowledgement and shows that it loses work, so the kill test can fail.

Skipped without PostgreSQL and Redis (fails under NPP_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
import redis
from django.conf import settings as django_settings

from notifications import tasks
from notifications.channels import message_id
from notifications.models import (
    UNSENT,
    Category,
    Channel,
    Notification,
    NotificationPreference,
    Status,
)
from notifications.recipients import coordinators_address
from orders.models import CaseEvent, ImportCase
from orders.services import case_transition
from orders.states import CaseStatus
from tests.conftest import new_case
from tests.notifications.realworker import Worker, Workers, broker_unreachable, wait_until

S = CaseStatus

pytestmark = [
    pytest.mark.broker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

NOTE = "INTERNAL: the patient's insurer declined; do not disclose."
CASES = 50
# Each send: 60 ms before the message is written, 60 ms after (before it is recorded).
SLOW = (0.06, 0.06)


def cancel(case: ImportCase, physician) -> CaseEvent:
    case_transition(case=case, actor=physician.user, transition="cancel", note=NOTE)
    return CaseEvent.objects.get(case=case, transition="cancel")


def emails_of(events) -> list[Notification]:
    return list(Notification.objects.filter(event__in=events, channel=Channel.EMAIL))


def all_sent(events, expected: int):
    rows = [row for row in emails_of(events) if row.status == Status.SENT]
    return rows if len(rows) == expected else None


def test_a_transition_leads_to_the_email_and_the_inbox_entry_exactly_once(
    workers, draft_case, physician, patient, team
):
    worker = workers.start()

    event = cancel(draft_case, physician)

    # The coordinators' address and the patient; the physician cancelled it themself.
    rows = wait_until(lambda: all_sent([event], 2), seconds=30, what="2 emails", logs=[worker])
    expected = {message_id(row.key): row for row in rows}
    wait_until(lambda: set(workers.sent()) >= set(expected), seconds=10, what="email files")
    time.sleep(1)  # anything extra would have arrived by now
    assert workers.sent() == dict.fromkeys(expected, 1)
    assert {row.address for row in rows} == {coordinators_address(), patient.user.email}
    inbox = Notification.objects.filter(event=event, channel=Channel.INBOX)
    assert inbox.count() == 3  # each coordinator and the patient
    assert Notification.objects.inbox_of(patient.user).get().event == event
    assert all(row.attempts == 1 and row.sent_at for row in rows)
    patient_mail = b"".join(p.read_bytes() for p in workers.mail_dir.iterdir()).split(b"-" * 79)
    to_patient = [m for m in patient_mail if patient.user.email.encode() in m]
    assert to_patient
    assert b"Cancelled" in to_patient[0]
    assert b"INTERNAL" not in to_patient[0]


def test_with_the_broker_down_at_commit_the_transition_stands_and_the_sweep_sends_once(
    workers, draft_case, physician, team, settings
):
    worker = workers.start()

    with broker_unreachable():
        event = cancel(draft_case, physician)

    assert ImportCase.objects.get(pk=draft_case.pk).status == S.CANCELLED
    time.sleep(1.5)  # the worker is up: had anything been enqueued, it would run now
    assert not Notification.objects.filter(event=event).exists()
    assert workers.sent() == {}

    # The broker is back; beat runs the sweep.
    settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    assert tasks.sweep.apply().get()["events"] == 1

    rows = wait_until(lambda: all_sent([event], 2), seconds=30, what="2 emails", logs=[worker])
    expected = {message_id(row.key) for row in rows}
    wait_until(lambda: set(workers.sent()) >= expected, seconds=10, what="email files")
    assert tasks.sweep.apply().get()["events"] == 0  # nothing left for the next sweep
    time.sleep(1)
    assert workers.sent() == dict.fromkeys(expected, 1)


def test_the_same_task_delivered_twice_sends_one_email(workers, draft_case, physician, team):
    worker = workers.start(concurrency=2, slow=(0.3, 0))
    with broker_unreachable():  # only the two deliveries below, no on-commit one
        event = cancel(draft_case, physician)
    task_id = f"twice-{event.pk}"

    for _ in range(2):
        tasks.deliver_event.apply_async((event.pk,), task_id=task_id, **tasks.queue_options())

    done = f"deliver_event[{task_id}] succeeded"
    wait_until(
        lambda: worker.log_text().count(done) == 2, seconds=30, what="both runs", logs=[worker]
    )
    rows = emails_of([event])
    assert len(rows) == 2
    assert all(row.status == Status.SENT and row.attempts == 1 for row in rows)
    assert workers.sent() == {message_id(row.key): 1 for row in rows}


# --- Killed workers ---------------------------------------------------------------------


@dataclass
class Kill:
    what: str
    victims: list[int]
    # The victim's last journal entry was "written": the email left but its send may
    # not be recorded yet, the one window where a duplicate is allowed.
    between_send_and_record: bool = False


def _kill_at(workers: Workers, worker: Worker, step: str, *, whole: bool, seen: int) -> Kill:
    """Wait for a pool process of `worker` to reach `step` of a send ("begin": before
    the message is written; "written": after, before it is recorded), then SIGKILL
    that process, or the whole worker."""

    def reached():
        for _, pid, event, _ in workers.journal_lines()[seen:]:
            if event == step and pid in worker.pool_children():
                return pid
        return None

    pid = wait_until(reached, seconds=30, what=f"a send at {step!r}", logs=[worker])
    if whole:
        victims = worker.pool_children()
        worker.kill()
    else:
        victims = [pid]
        worker.kill_child(pid)
        wait_until(lambda: pid not in worker.pool_children(), seconds=10, what="child gone")
    time.sleep(0.05)
    last = {p: (e, m) for _, p, e, m in workers.journal_lines() if p in victims}
    # On a loaded machine the signal can land after the message was written but before
    # its "written" line: a message on disk whose sender's last line is "begin" was
    # killed in the window too.
    on_disk = workers.sent()
    return Kill(
        what="the whole worker" if whole else "a pool process",
        victims=victims,
        between_send_and_record=any(
            event == "written" or (event == "begin" and message in on_disk)
            for event, message in last.values()
        ),
    )


def kill_scenario(workers: Workers, *, early_ack: bool, physician, patient, coordinator, lupkynis):
    """50 cancelled cases, one email each (their coordinator reads them in the inbox);
    while the worker sends them: SIGKILL a pool process before a message is written,
    another right after one is written, then the whole worker; start a new worker."""
    NotificationPreference.objects.create(
        user=coordinator, category=Category.CASE_UPDATES, email=False
    )
    worker = workers.start(early_ack=early_ack, slow=SLOW)
    events = []
    for _ in range(CASES):
        case = new_case(physician=physician, patient=patient, product=lupkynis)
        ImportCase.objects.filter(pk=case.pk).update(assigned_coordinator=coordinator)
        events.append(cancel(ImportCase.objects.get(pk=case.pk), physician))
    kills = [_kill_at(workers, worker, "begin", whole=False, seen=0)]
    seen = len(workers.journal_lines())
    kills.append(_kill_at(workers, worker, "written", whole=False, seen=seen))
    seen = len(workers.journal_lines())
    kills.append(_kill_at(workers, worker, "begin", whole=True, seen=seen))
    replacement = workers.start(early_ack=early_ack, slow=SLOW)
    return events, kills, [worker, replacement]


def duplicates(counts) -> int:
    return sum(count - 1 for count in counts.values())


def test_killed_workers_lose_no_notification_and_duplicate_only_in_the_window(
    workers, physician, patient, coordinator, lupkynis
):
    started = time.monotonic()
    events, kills, running = kill_scenario(
        workers,
        early_ack=False,
        physician=physician,
        patient=patient,
        coordinator=coordinator,
        lupkynis=lupkynis,
    )

    rows = wait_until(
        lambda: all_sent(events, CASES), seconds=60, what="all 50 emails sent", logs=running
    )
    expected = {message_id(row.key) for row in rows}
    wait_until(lambda: set(workers.sent()) >= expected, seconds=10, what="all email files")

    assert [kill.what for kill in kills] == ["a pool process"] * 2 + ["the whole worker"]
    assert not Notification.objects.filter(status__in=UNSENT).exists()
    counts = workers.sent()
    assert set(counts) == expected
    window = sum(kill.between_send_and_record for kill in kills)
    assert duplicates(counts) <= window, (counts, kills)
    # Every case's patient got the news; coordinators have it in their inbox.
    assert (
        Notification.objects.filter(
            event__in=events, channel=Channel.INBOX, status=Status.SENT
        ).count()
        == 2 * CASES
    )
    # Work really was interrupted and taken again.
    assert any(row.attempts > 1 for row in Notification.objects.filter(pk__in=[r.pk for r in rows]))
    assert time.monotonic() - started < 90


def test_negative_control_early_acknowledgement_loses_work_that_only_the_sweep_recovers(
    workers, physician, patient, coordinator, lupkynis, settings
):
    events, _, running = kill_scenario(
        workers,
        early_ack=True,
        physician=physician,
        patient=patient,
        coordinator=coordinator,
        lupkynis=lupkynis,
    )
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)

    def settled():
        lines = workers.journal_lines()
        quiet = lines and time.time() - lines[-1][0] > 4  # beyond a lease and a retry
        return quiet and broker.llen(workers.queue) == 0

    wait_until(settled, seconds=60, what="the workers to go quiet", logs=running)

    sent = [row for row in emails_of(events) if row.status == Status.SENT]
    assert len(sent) < CASES, "early acknowledgement lost nothing: the kill test proves nothing"
    assert Notification.objects.filter(status__in=UNSENT).exists() or (
        Notification.objects.filter(event__in=events).values("event").distinct().count() < CASES
    )

    # The outbox keeps the record: the sweep finds what the killed tasks left.
    settings.NPP_NOTIFICATION_SWEEP_GRACE_SECONDS = 0
    assert tasks.sweep.apply().get()["events"] >= 1
    wait_until(
        lambda: all_sent(events, CASES), seconds=30, what="the sweep's resends", logs=running
    )
