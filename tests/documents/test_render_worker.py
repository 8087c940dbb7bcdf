"""A real Celery worker renders a requested document: the request commits, the task
leaves through Redis on commit, a worker process claims the job in PostgreSQL, renders
and stores the PDF. Skipped without PostgreSQL and Redis (fails under
NPP_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from pypdf import PdfReader

from documents.generation.requests import request_render
from documents.models import Document, DocumentKind, RenderJob, RenderStatus
from orders.states import CaseStatus
from portals import demo
from tests.conftest import broker_key, need
from tests.notifications.realworker import broker_unreachable

WAIT_SECONDS = 60
POLL_SECONDS = 0.2
# The render sweep's interval for the worker and beat these tests start.
SWEEP_SECONDS = 5


def redis_reachable(url: str) -> bool:
    if not url.startswith(("redis://", "rediss://")):
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def services():
    need(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    need(
        redis_reachable(django_settings.CELERY_BROKER_URL),
        "CELERY_BROKER_URL does not point at a reachable Redis",
    )


def worker_database_url() -> str:
    """The URL of the database pytest created, for the worker process to use."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def render_queue(settings, services):
    """A queue of this test's own, so no other worker on the broker takes the task."""
    name = f"npp-test-render-{uuid.uuid4().hex[:12]}"
    settings.NPP_RENDER_QUEUE = name
    yield name
    import redis

    client = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    client.delete(
        *(
            broker_key(key)
            for key in (name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
        )
    )


@pytest.fixture
def worker(render_queue, tmp_path, settings):
    """A Celery worker subprocess on the test database and the test's queue."""
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "DATABASE_URL": worker_database_url(),
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        # The worker stores files where this test's storage reads them.
        "NPP_PRIVATE_STORAGE": settings.STORAGES["private"]["OPTIONS"]["location"],
        "NPP_VAR_DIR": str(tmp_path / "var"),
        # What the sweep re-enqueues goes to this test's queue, and it finds a job
        # stale after one interval (the default: NPP_RENDER_STALE_SECONDS unset).
        "NPP_RENDER_QUEUE": render_queue,
        "NPP_RENDER_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "npp", "worker",
        "--pool=solo", "--concurrency=1",
        "-Q", render_queue,
        "-n", f"{render_queue}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--loglevel=INFO",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log, env
    finally:
        # Stop it before pytest-django flushes or drops the test database.
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition, *, what: str, log: Path, process: subprocess.Popen):
    """Poll until `condition()` returns something truthy: waiting for a result, bounded."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if process.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    tail = log.read_text(errors="replace")[-4000:]
    pytest.fail(f"No {what} within {WAIT_SECONDS} s (worker exit {process.poll()}):\n{tail}")


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_requested_application_pack(worker, case_in, coordinator):
    process, log, _env = worker
    case = case_in(CaseStatus.FORMS_PREPARATION)

    # Autocommit: the job row commits at once and the task is published on commit.
    job = request_render(case=case, kind=DocumentKind.REGULATORY_APPLICATION, actor=coordinator)

    document = wait_for(
        lambda: Document.objects.filter(render_job__pk=job.pk).first(),
        what="rendered document",
        log=log,
        process=process,
    )
    job = RenderJob.objects.get(pk=job.pk)
    assert job.status == RenderStatus.READY
    assert job.attempts == 1
    assert document.generated is True
    assert document.case_id == case.pk
    assert Document.objects.filter(case=case, kind=DocumentKind.REGULATORY_APPLICATION).count() == 1
    with document.file.open("rb") as stored:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages)
    assert "Priya Menon" in text
    assert "NMC-123456" in text


@pytest.fixture
def beat(worker, tmp_path):
    """Celery beat in a subprocess, with the worker's environment: its render sweep
    runs every SWEEP_SECONDS on the test's queue."""
    _process, _log, env = worker
    log = tmp_path / "beat.log"
    celery = Path(sys.executable).with_name("celery")
    command = [
        str(celery), "-A", "npp", "beat", "--loglevel=DEBUG",
        "--schedule", str(tmp_path / "beat-schedule"),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for(
            lambda: "beat: Starting" in log.read_text(errors="replace"),
            what="beat starting",
            log=log,
            process=process,
        )
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.broker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_render_requested_while_the_broker_is_down_is_stored_within_two_sweeps(
    worker, beat, case_in, coordinator
):
    process, log, _env = worker
    case = case_in(CaseStatus.SUBMITTED)

    # The verification commits while the broker is down: the application pack's job
    # is recorded with it, but its task never leaves.
    with broker_unreachable():
        case = demo.walk_to(case, CaseStatus.FORMS_PREPARATION, coordinator=coordinator)
    job = RenderJob.objects.get(case=case, kind=DocumentKind.REGULATORY_APPLICATION)
    assert job.status == RenderStatus.PENDING
    assert job.attempts == 0

    # Beat's sweep (every SWEEP_SECONDS, stale after one interval by default) enqueues
    # it again, and the worker takes it within two intervals of the request.
    wait_for(
        lambda: RenderJob.objects.filter(pk=job.pk, attempts__gte=1).exists(),
        what="render job taken",
        log=log,
        process=process,
    )
    taken_after = time.time() - job.created_at.timestamp()  # one machine, one clock
    # Two intervals, and the sweep task's own delivery: well short of a third.
    assert taken_after <= 2 * SWEEP_SECONDS + 2, taken_after
    document = wait_for(
        lambda: Document.objects.filter(render_job__pk=job.pk).first(),
        what="rendered document",
        log=log,
        process=process,
    )
    job = RenderJob.objects.get(pk=job.pk)
    assert job.status == RenderStatus.READY
    assert job.attempts == 1
    assert document.generated is True
