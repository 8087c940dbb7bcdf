"""Notification throughput through one real Celery worker on Redis and PostgreSQL,
against Celery's own no-op task throughput measured by the same worker in the same
run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \\
    .venv/bin/python bench/bench_notifications.py [-n 10000]

It creates a throwaway database (<name>_bench_notifications, dropped at the end),
migrates it, bulk-creates cases and one case event per case, and starts one worker
(prefork, one process, the project's settings: late acknowledgement, prefetch 1) on a
queue of its own, with Django's dummy email backend (the send itself costs nothing:
what is measured is our machinery). Then, each timed from the first publish until a
marker task queued behind the batch has run:

- no-op: N tasks that do nothing;
- notifications: one `deliver_event` per event, as `transaction.on_commit` enqueues
  it, each fanning out to its rows, sending and recording them, until N
  notification rows (email and inbox) are delivered;

in interleaved rounds (a fifth of each at a time, by default), so that both see the
same load on a shared machine. The ratio is tasks per second (one `deliver_event`
task per event, however many recipients it fans out to) over no-op tasks per
second, in the same unit; notification rows per second are printed beside it.

Without PostgreSQL and Redis configured it says so and exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")

MARK_KEY = "npp-bench-notifications-mark"


# --- Tasks the worker imports (-I bench_notifications) -------------------------------------

from npp.celery import app  # noqa: E402


@app.task(name="bench.noop", ignore_result=True)
def noop() -> None:
    return None


@app.task(name="bench.mark", ignore_result=True)
def mark(token: str) -> None:
    import redis

    redis.Redis.from_url(app.conf.broker_url).set(MARK_KEY, f"{token} {time.time()}")


# --- The bench ---------------------------------------------------------------------------


def configured() -> tuple[str, str] | None:
    database = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if database.startswith(("postgres://", "postgresql://")) and broker.startswith("redis://"):
        return database, broker
    return None


def fresh_database(url: str) -> tuple[str, str]:
    """Create <name>_bench_notifications next to the configured database."""
    import dj_database_url
    import psycopg

    parsed = dj_database_url.parse(url)
    name = f"{parsed['NAME']}_bench_notifications"
    admin = psycopg.connect(
        host=parsed["HOST"] or "127.0.0.1",
        port=parsed["PORT"] or 5432,
        user=parsed["USER"],
        password=parsed["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0]
    return name, f"{base}/{name}"


def drop_database(url: str, name: str) -> None:
    import dj_database_url
    import psycopg

    parsed = dj_database_url.parse(url)
    admin = psycopg.connect(
        host=parsed["HOST"] or "127.0.0.1",
        port=parsed["PORT"] or 5432,
        user=parsed["USER"],
        password=parsed["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The events of a case's happy path, in the order a case goes through them.
HAPPY_PATH = (
    ("submit", "draft", "submitted"),
    ("verify", "submitted", "forms_preparation"),
    ("file_application", "forms_preparation", "awaiting_permit"),
    ("record_permit", "awaiting_permit", "supplier_ordering"),
    ("dispatch", "supplier_ordering", "in_transit"),
    ("arrive", "in_transit", "customs_clearance"),
    ("clear_customs", "customs_clearance", "out_for_delivery"),
    ("confirm_delivery", "out_for_delivery", "delivered"),
    ("close", "delivered", "closed"),
)
SHAPES = {
    # A case's whole history, with two coordinators: 1 to 4 recipients an event.
    "mix": (HAPPY_PATH, 2),
    # The fewest notifications a task can carry: the patient alone (email + inbox).
    "single": ((("dispatch", "supplier_ordering", "in_transit"),), 1),
    # A case with many watchers: quarantine goes to every coordinator (ten here).
    "team": ((("quarantine", "customs_clearance", "quarantined"),), 10),
}


def make_events(notifications: int, shape: str) -> tuple[list[int], int]:
    """Cases with the events of `shape`, bulk-created (the bench measures delivery,
    not the state machine), until they call for at least `notifications` rows.
    Returns the event ids and the number of rows they call for."""
    from notifications.recipients import recipients_of_event
    from npp.accounts.models import Role, User
    from orders.models import CaseEvent, ImportCase, Pathway, Patient, Physician, Product

    steps, coordinators = SHAPES[shape]
    User.objects.bulk_create(
        User(
            email=f"coordinator{i}@bench.example",
            full_name=f"Coordinator {i}",
            role=Role.COORDINATOR,
        )
        for i in range(coordinators)
    )
    doctor = User.objects.create(
        email="doctor@bench.example", full_name="Dr Bench", role=Role.PHYSICIAN
    )
    physician = Physician.objects.create(
        user=doctor, full_name="Bench", registration_number="B-1", registration_council="NMC"
    )
    patient_user = User.objects.create(
        email="patient@bench.example", full_name="Pat Bench", role=Role.PATIENT
    )
    patient = Patient.objects.create(
        user=patient_user,
        full_name="Pat Bench",
        date_of_birth="1990-01-01",
        sex="F",
        address="1 Road",
        city="Bengaluru",
        postal_code="560001",
        id_document_type="aadhaar",
        id_document_number_masked="XXXXXXXX9012",
    )
    pathway, product = Pathway.default(), Product.objects.get(brand_name="Lupkynis")
    system = User.objects.create(email="system@bench.example", full_name="System", role=Role.SYSTEM)

    def new_cases(count: int) -> list[ImportCase]:
        prefix = uuid.uuid4().hex[:6]
        return ImportCase.objects.bulk_create(
            ImportCase(
                reference=f"B{prefix}{i:06d}",
                pathway=pathway,
                patient=patient,
                physician=physician,
                product=product,
                daily_units=6,
                quantity_packs=3,
                created_by=doctor,
            )
            for i in range(count)
        )

    def event(case, step) -> CaseEvent:
        transition, from_state, to_state = step
        return CaseEvent(
            case=case,
            transition=transition,
            from_state=from_state,
            to_state=to_state,
            actor=system,
            note="Bench",
        )

    def rows_for(step) -> int:
        """Email and inbox for each recipient the table names; coordinators told as a
        team each get the inbox entry, and the team one email to its address."""
        recipients = recipients_of_event(event(sample, step))
        team = [r for r in recipients if r.team]
        return 2 * (len(recipients) - len(team)) + len(team) + (1 if team else 0)

    sample = new_cases(1)[0]
    per_case = sum(rows_for(step) for step in steps)
    cases = new_cases(-(-notifications // per_case))
    events = CaseEvent.objects.bulk_create(event(case, step) for case in cases for step in steps)
    return [e.pk for e in events], per_case * len(cases)


def wait_for_mark(client, token: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = client.get(MARK_KEY)
        if value and value.decode().startswith(token):
            return float(value.decode().split()[1])
        time.sleep(0.01)
    raise SystemExit(f"The worker did not finish within {timeout} s.")


def timed(client, queue: str, publish) -> float:
    """Seconds from the first publish until the marker queued behind the batch ran."""
    token = uuid.uuid4().hex
    started = time.time()
    publish()
    mark.apply_async((token,), queue=queue)
    return wait_for_mark(client, token, timeout=900) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="notifications (and no-op tasks)")
    parser.add_argument(
        "--shape",
        choices=sorted(SHAPES),
        default="mix",
        help="mix: a case's happy path (the headline); single: one recipient an event; "
        "team: quarantine heard by ten coordinators",
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()

    services = configured()
    if services is None:
        print("bench_notifications: needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL "
              "(Redis); skipped.")  # fmt: skip
        return
    database_url, broker_url = services
    name, bench_url = fresh_database(database_url)
    os.environ.update(
        {
            "DATABASE_URL": bench_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-not-secret",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
        }
    )
    queue = f"npp-bench-notifications-{uuid.uuid4().hex[:8]}"
    os.environ["NPP_NOTIFICATION_QUEUE"] = queue
    workdir = Path(tempfile.mkdtemp(prefix="npp-bench-notifications-"))
    os.environ["NPP_VAR_DIR"] = str(workdir / "var")

    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import connection

    from notifications import tasks
    from notifications.models import Channel, Notification, Status

    client = redis.Redis.from_url(broker_url)
    worker = None
    try:
        call_command("migrate", verbosity=0)
        # dispatch: the patient hears it (email + inbox): 2 notifications per event.
        # quarantine with W coordinators: W + physician + patient, 2 each.
        events, notifications = make_events(args.n, args.shape)
        # Statistics, as autovacuum keeps them on a live database: without them the
        # planner takes the freshly bulk-loaded tables for empty, and the worker's
        # prepared queries would keep a plan fit for no real data (the event's query
        # walked every case of its product instead of finding its case by key).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        log = workdir / "worker.log"
        command = [
            sys.executable, "-m", "celery", "-A", "npp", "worker", "-I", "bench_notifications",
            "--pool=prefork", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
        with log.open("wb") as output:
            worker = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        # Warm up: the worker imports, connects and caches templates before timing.
        timed(client, queue, lambda: [noop.apply_async(queue=queue) for _ in range(200)])

        # Interleaved rounds: the no-op and the notification batches share whatever
        # else the machine is doing, so the ratio does not drift with the load.
        rounds = max(1, min(args.rounds, len(events)))
        chunks = [events[i::rounds] for i in range(rounds)]
        noop_time = delivery = 0.0
        per_round = []
        noops = round(args.n / rounds)
        for chunk in chunks:
            spent_noop = timed(
                client, queue, lambda: [noop.apply_async(queue=queue) for _ in range(noops)]
            )
            before = Notification.objects.filter(status=Status.SENT).count()
            spent = timed(
                client, queue, lambda chunk=chunk: [tasks.enqueue_event(e) for e in chunk]
            )
            done = Notification.objects.filter(status=Status.SENT).count() - before
            assert done > 0
            noop_time += spent_noop
            delivery += spent
            per_round.append((len(chunk) / spent) / (noops / spent_noop))

        delivered = Notification.objects.filter(status=Status.SENT).count()
        emails = Notification.objects.filter(status=Status.SENT, channel=Channel.EMAIL).count()
        unsent = Notification.objects.exclude(status=Status.SENT).count()
        if delivered != notifications or unsent:
            raise SystemExit(f"Delivered {delivered} of {notifications}; {unsent} not sent.")

        noops_total = noops * rounds
        noop_rate = noops_total / noop_time
        rate = notifications / delivery
        print(f"worker: 1 process (prefork, concurrency 1), late ack, prefetch 1; queue {queue}")
        print(f"rounds: {rounds}, each a batch of no-op tasks then a batch of events")
        print(f"no-op tasks: {noops_total} in {noop_time:.2f} s -> {noop_rate:.0f} tasks/s")
        print(
            f"notifications: {notifications} ({emails} emails + {notifications - emails} inbox) "
            f"from {len(events)} events ('{args.shape}'), one task each, "
            f"{notifications / len(events):.1f} an event, in {delivery:.2f} s"
        )
        task_rate = len(events) / delivery
        print(f"tasks per second: {task_rate:.0f} (rows: {rate:.0f} notifications/s)")
        print(f"rows per second over no-op tasks per second: {rate / noop_rate:.2f}")
        print("task ratio per round: " + ", ".join(f"{r:.2f}" for r in per_round))
        print(f"notification_tasks_per_second_ratio: {task_rate / noop_rate:.2f} (target >= 0.25)")
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        from django.db import connections

        connections.close_all()
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.delete(MARK_KEY)
        drop_database(database_url, name)


if __name__ == "__main__":
    main()
